using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Platform.Persistence;
using MassTransit;
using MassTransit.Configuration;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace GlobalCommerce.Api.Tests.Observability;

public sealed class HealthTests : IDisposable
{
    static readonly string[] Checks =
        ["db-auth", "db-orders", "db-erasure", "db-catalog", "db-inventory", "db-fraud", "db-payments", "db-sandbox_gateway", "db-shipping", "db-notifications",
         "db-vendor", "db-analytics", "masstransit-bus"];

    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Ready_reports_each_database_and_the_bus()
    {
        var client = _factory.CreateClient();

        var live = await client.GetAsync("/health/live");
        var (status, body) = await WaitForReadyAsync(client, HttpStatusCode.OK);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        var checks = body.GetProperty("checks").EnumerateArray()
            .ToDictionary(check => check.GetProperty("name").GetString()!, check => check.GetProperty("status").GetString());
        Assert.Equal(Checks.Order(), checks.Keys.Order());
        Assert.All(checks.Values, value => Assert.Equal("Healthy", value));
        // The connection strings (here: file paths) never reach the unauthenticated report.
        var text = body.GetRawText();
        Assert.All(_factory.Services.GetServices<DomainDatabase>(), database =>
            Assert.DoesNotContain(new SqliteConnectionStringBuilder(database.ConnectionString).DataSource, text, StringComparison.Ordinal));
        Assert.DoesNotContain("Data Source", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Ready_turns_unhealthy_when_a_database_is_gone_and_live_stays_up()
    {
        var client = _factory.CreateClient();
        await WaitForReadyAsync(client, HttpStatusCode.OK);
        var fraud = _factory.Services.GetServices<DomainDatabase>().First(database => database.Domain == "fraud");

        File.Delete(new SqliteConnectionStringBuilder(fraud.ConnectionString).DataSource);
        var (status, body) = await WaitForReadyAsync(client, HttpStatusCode.ServiceUnavailable);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Unhealthy", body.GetProperty("status").GetString());
        var failed = Assert.Single(body.GetProperty("checks").EnumerateArray(), check => check.GetProperty("status").GetString() != "Healthy");
        Assert.Equal("db-fraud", failed.GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }

    // The in-memory bus has no broker to lose. Against RabbitMQ, a stopped broker left MassTransit's check Degraded, which
    // the endpoint answers with 200; this is the setting that makes it fail readiness instead.
    [Fact]
    public void A_bus_that_lost_its_broker_fails_readiness_instead_of_degrading()
    {
        var bus = _factory.Services.GetRequiredService<IOptions<MassTransitHealthCheckOptions<IBus>>>().Value;

        Assert.Equal(HealthStatus.Unhealthy, bus.MinimalFailureStatus);
    }

    // The bus reports ready a moment after the host has started.
    static async Task<(HttpStatusCode Status, JsonElement Body)> WaitForReadyAsync(HttpClient client, HttpStatusCode expected)
    {
        var until = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            using var response = await client.GetAsync("/health/ready");
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            if (response.StatusCode == expected || DateTime.UtcNow > until)
                return (response.StatusCode, body);
            await Task.Delay(100);
        }
    }
}

using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Api.Orders;
using GlobalCommerce.Consumers.Catalog;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Api.Tests.Orders;

// One caller must not be able to freeze order intake for everyone: not with a huge cart, not by waiting in the queue,
// not by submitting as fast as it can.
public sealed class OrderIntakeTests
{
    [Fact]
    public async Task A_cart_of_thousands_of_products_is_refused_without_asking_the_catalog_and_an_honest_order_still_goes_through()
    {
        using var factory = new ApiFactory(new Dictionary<string, string?> { ["Commerce:Orders:Admission:MaxConcurrent"] = "1" });
        var catalogQueries = new CatalogQueryCounter();
        using var counted = factory.WithWebHostBuilder(host => host.ConfigureTestServices(services =>
            services.ConfigureDbContext<CatalogDbContext>(db => db.AddInterceptors(catalogQueries))));
        var client = counted.CreateClient();
        await ApiFactory.RegisterShopperAsync(client);
        var before = catalogQueries.Count;

        var overLimit = await client.PostAsJsonAsync("/api/orders", Cart(distinctProducts: 20_000));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, overLimit.StatusCode);
        Assert.Equal("urn:globalcommerce:problem:payload-too-large", await TypeOf(overLimit));

        // Small enough in bytes to be read, too many lines to be looked up; every other bad field is still listed.
        var tooManyLines = await client.PostAsJsonAsync("/api/orders", Cart(distinctProducts: 500, paymentToken: null));
        Assert.Equal(HttpStatusCode.BadRequest, tooManyLines.StatusCode);
        var problem = await tooManyLines.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("urn:globalcommerce:problem:validation-failed", problem.GetProperty("type").GetString());
        var errors = problem.GetProperty("errors");
        Assert.Contains("50", errors.GetProperty("items")[0].GetString());
        Assert.True(errors.TryGetProperty("paymentToken", out _));

        Assert.Equal(before, catalogQueries.Count);

        // With one admission slot, the abusive cart and an honest order race for it; the honest order is accepted.
        var abusive = client.PostAsJsonAsync("/api/orders", Cart(distinctProducts: 20_000));
        var honest = client.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await abusive).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await honest).StatusCode);
    }

    [Fact]
    public async Task A_submission_queued_beyond_the_wait_timeout_gets_503_with_retry_after()
    {
        using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["Commerce:Orders:Admission:MaxConcurrent"] = "1",
            ["Commerce:Orders:Admission:QueueLimit"] = "10",
            ["Commerce:Orders:Admission:QueueTimeout"] = "00:00:00.200",
            ["Commerce:Orders:Admission:RetryAfter"] = "00:00:03",
        });
        var client = await factory.CreateShopperClientAsync();
        var admission = factory.Services.GetRequiredService<OrderAdmission>();

        // Another submission holds the only slot for longer than anyone may wait in the queue.
        using var held = await admission.AcquireAsync(CancellationToken.None);
        Assert.True(held.IsAcquired);
        var queued = await client.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, queued.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), queued.Headers.RetryAfter?.Delta);
        Assert.Equal("urn:globalcommerce:problem:overloaded", await TypeOf(queued));
    }

    [Fact]
    public async Task A_shopper_past_their_order_rate_gets_429_while_another_shopper_is_still_accepted()
    {
        using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["Commerce:Orders:CustomerRateLimit:TokenLimit"] = "2",
            ["Commerce:Orders:CustomerRateLimit:TokensPerPeriod"] = "1",
            ["Commerce:Orders:CustomerRateLimit:ReplenishmentPeriod"] = "01:00:00",
        });
        var flooding = await factory.CreateShopperClientAsync();
        var other = await factory.CreateShopperClientAsync();
        var body = OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id);

        for (var i = 0; i < 2; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await flooding.PostAsJsonAsync("/api/orders", body)).StatusCode);
        var throttled = await flooding.PostAsJsonAsync("/api/orders", body);

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.True(throttled.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal("urn:globalcommerce:problem:too-many-requests", await TypeOf(throttled));
        Assert.Equal(HttpStatusCode.Accepted, (await other.PostAsJsonAsync("/api/orders", body)).StatusCode);
    }

    static object Cart(int distinctProducts, string? paymentToken = "tok_visa") => new
    {
        items = Enumerable.Range(0, distinctProducts).Select(_ => new { productId = Guid.NewGuid(), quantity = 1 }).ToArray(),
        shippingAddress = new { name = "Ada Lovelace", line1 = "1 Main St", city = "Berlin", postalCode = "10115", country = "DE" },
        paymentToken,
    };

    static async Task<string?> TypeOf(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString();

    // Counts the commands the catalog's DbContext sends, whichever request sends them.
    sealed class CatalogQueryCounter : DbCommandInterceptor
    {
        int _count;

        public int Count => Volatile.Read(ref _count);

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            // The product lookups; the catalog database also serves its stream groups and relay in the background.
            if (eventData.Context is CatalogDbContext && command.CommandText.Contains("FROM \"products\"", StringComparison.Ordinal))
                Interlocked.Increment(ref _count);
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }
    }
}

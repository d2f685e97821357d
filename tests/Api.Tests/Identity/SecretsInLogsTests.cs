using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Api.Tests.Identity;

public sealed class SecretsInLogsTests
{
    [Fact]
    public async Task No_password_token_code_or_key_reaches_the_logs()
    {
        var lines = new ConcurrentQueue<string>();
        using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Debug",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Debug",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Information",
        });
        var app = factory.WithWebHostBuilder(host => host.ConfigureServices(services =>
            services.AddLogging(logging => logging.AddProvider(new CapturingProvider(lines)))));
        var client = app.CreateClient();
        const string password = "Unlogged-Secret-Pass7";

        await client.PostAsJsonAsync("/api/auth/register", new { email = "quiet@example.test", password });
        await client.PostAsJsonAsync("/api/auth/login", new { email = "quiet@example.test", password = "Wrong-" + password });
        var tokens = await ApiFactory.AuthorizeAsync(client, "quiet@example.test", password);
        var enrolment = await (await client.PostAsJsonAsync("/api/auth/mfa/enrol", new { password })).Content.ReadFromJsonAsync<JsonElement>();
        var secret = enrolment.GetProperty("sharedKey").GetString()!;
        var code = MfaTests.Totp(secret);
        var recovery = await (await client.PostAsJsonAsync("/api/auth/mfa/confirm", new { code })).Content.ReadFromJsonAsync<JsonElement>();
        var refreshed = await (await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = tokens.GetProperty("refreshToken").GetString() }))
            .Content.ReadFromJsonAsync<JsonElement>();
        await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = tokens.GetProperty("refreshToken").GetString() });

        var secrets = new List<string>
        {
            password,
            tokens.GetProperty("accessToken").GetString()!,
            tokens.GetProperty("refreshToken").GetString()!.Split('.')[1],
            refreshed.GetProperty("accessToken").GetString()!,
            secret,
            code,
            recovery.GetProperty("codes")[0].GetString()!,
        };
        var text = string.Join('\n', lines);
        Assert.Contains("logged in", text);
        Assert.All(secrets, s => Assert.DoesNotContain(s, text));
        Assert.DoesNotContain("PRIVATE KEY", text);
    }

    sealed class CapturingProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Capturing(categoryName, lines);

        public void Dispose()
        {
        }
    }

    sealed class Capturing(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            lines.Enqueue($"{category} {formatter(state, exception)} {structured} {exception}");
        }
    }
}

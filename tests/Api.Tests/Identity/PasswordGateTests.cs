using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using GlobalCommerce.Api.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GlobalCommerce.Api.Tests.Identity;

// Every place that checks a password (API login, DELETE /api/me, MFA enrolment, the support console's sign-in) goes
// through one path: lockout honoured, one budget of per-IP and per-account limits, exactly one hash verification.
public sealed partial class PasswordGateTests
{
    const string Right = ApiFactory.DemoPassword;
    const string Wrong = "Not-the-Passw0rd";
    const string GenericConsoleFailure = "Sign-in failed: wrong email, password or code, or this account cannot use the support console.";

    [Fact]
    public async Task Login_verifies_exactly_one_hash_for_an_unknown_address_a_locked_account_and_a_wrong_password()
    {
        using var factory = new ApiFactory();
        var hashes = new VerificationCounter();
        var app = Counting(factory, hashes);
        var client = app.CreateClient();
        await LockAsync(app, "vendor@demo.local");

        foreach (var (email, password) in new[] { ("nobody-" + Guid.NewGuid().ToString("N") + "@example.test", Right), ("vendor@demo.local", Right),
                     ("shopper@demo.local", Wrong) })
        {
            hashes.Reset();
            var response = await client.PostAsJsonAsync("/api/auth/login", new { email, password });
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("urn:globalcommerce:problem:invalid-credentials", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
            Assert.Equal(1, hashes.Count);
        }
    }

    [Fact]
    public async Task A_locked_account_is_refused_its_right_password_by_every_caller_after_the_same_one_hash()
    {
        using var factory = new ApiFactory();
        var hashes = new VerificationCounter();
        var app = Counting(factory, hashes);
        var shopper = app.CreateClient();
        await ApiFactory.AuthorizeAsync(shopper, "shopper@demo.local", Right);
        await LockAsync(app, "shopper@demo.local");
        await LockAsync(app, "support@demo.local");

        hashes.Reset();
        var login = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = "shopper@demo.local", password = Right });
        Assert.Equal((HttpStatusCode.Unauthorized, 1), (login.StatusCode, hashes.Count));

        hashes.Reset();
        var erase = await DeleteMeAsync(shopper, Right);
        Assert.Equal((HttpStatusCode.Unauthorized, 1), (erase.StatusCode, hashes.Count));
        Assert.Equal(HttpStatusCode.OK, (await shopper.GetAsync("/api/me")).StatusCode);

        hashes.Reset();
        var enrol = await shopper.PostAsJsonAsync("/api/auth/mfa/enrol", new { password = Right });
        Assert.Equal((HttpStatusCode.Unauthorized, 1), (enrol.StatusCode, hashes.Count));

        hashes.Reset();
        var console = await ConsoleSignInAsync(app, "support@demo.local", Right);
        Assert.Equal((HttpStatusCode.OK, 1), (console.StatusCode, hashes.Count));
        Assert.Contains(GenericConsoleFailure, await console.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_passwords_on_erasure_count_towards_lockout_and_the_right_one_then_erases_nothing()
    {
        using var factory = new ApiFactory();
        var client = await factory.CreateShopperClientAsync();
        var email = (await client.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("email").GetString()!;

        for (var attempt = 0; attempt < 5; attempt++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await DeleteMeAsync(client, Wrong)).StatusCode);
        var right = await DeleteMeAsync(client, "Lantern-Quartz-42");
        var login = await factory.CreateClient().PostAsJsonAsync("/api/auth/login", new { email, password = "Lantern-Quartz-42" });

        Assert.Equal(HttpStatusCode.Unauthorized, right.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task Every_password_check_spends_one_per_ip_budget_and_each_caller_answers_429_when_it_is_spent()
    {
        using var factory = new ApiFactory(new Dictionary<string, string?> { ["Commerce:Identity:RateLimits:LoginPerIp"] = "4" });
        var shopper = factory.CreateClient();
        await ApiFactory.AuthorizeAsync(shopper, "shopper@demo.local", Right);

        Assert.Equal(HttpStatusCode.Unauthorized, (await DeleteMeAsync(shopper, Wrong)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await shopper.PostAsJsonAsync("/api/auth/mfa/enrol", new { password = Wrong })).StatusCode);
        Assert.Contains(GenericConsoleFailure, await (await ConsoleSignInAsync(factory, "support@demo.local", Wrong)).Content.ReadAsStringAsync(),
            StringComparison.Ordinal);

        var login = await factory.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = "vendor@demo.local", password = Right });
        var erase = await DeleteMeAsync(shopper, Right);
        var enrol = await shopper.PostAsJsonAsync("/api/auth/mfa/enrol", new { password = Right });
        var console = await ConsoleSignInAsync(factory, "admin@demo.local", Right);

        Assert.All(new[] { login, erase, enrol, console }, response =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After missing");
        });
        Assert.Equal("urn:globalcommerce:problem:too-many-requests", (await erase.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task The_console_answers_one_failure_for_unknown_wrong_locked_and_non_staff_and_logs_no_staff_email()
    {
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var factory = new ApiFactory();
        var app = factory.WithWebHostBuilder(host => host.ConfigureTestServices(services =>
            services.AddLogging(logging => logging.AddProvider(new CapturingLogs(lines)))));
        await LockAsync(app, "vendor@demo.local");
        lines.Clear();

        var answers = new List<string>();
        foreach (var (email, password) in new[] { ("nobody@example.test", Right), ("support@demo.local", Wrong), ("vendor@demo.local", Right),
                     ("shopper@demo.local", Right) })
        {
            var response = await ConsoleSignInAsync(app, email, password);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            answers.Add(Alert(await response.Content.ReadAsStringAsync()));
        }

        Assert.All(answers, answer => Assert.Equal(GenericConsoleFailure, answer));
        var signedIn = await ConsoleSignInAsync(app, "support@demo.local", Right);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var text = string.Join('\n', lines);
        Assert.Contains("Support console sign-in by user", text, StringComparison.Ordinal);
        Assert.DoesNotContain("support@demo.local", text, StringComparison.OrdinalIgnoreCase);
    }

    static WebApplicationFactory<Program> Counting(ApiFactory factory, VerificationCounter counter) =>
        factory.WithWebHostBuilder(host => host.ConfigureTestServices(services =>
        {
            services.AddSingleton(counter);
            services.AddScoped<IPasswordHasher<CommerceUser>, CountingHasher>();
        }));

    static async Task LockAsync(WebApplicationFactory<Program> app, string email)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<CommerceUser>>();
        var user = (await users.FindByEmailAsync(email))!;
        await users.SetLockoutEndDateAsync(user, DateTimeOffset.UtcNow.AddHours(1));
    }

    static Task<HttpResponseMessage> DeleteMeAsync(HttpClient client, string password) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/api/me") { Content = JsonContent.Create(new { password }) });

    internal static async Task<HttpResponseMessage> ConsoleSignInAsync(WebApplicationFactory<Program> app, string email, string password)
    {
        var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var form = await browser.GetStringAsync("/support/login");
        return await browser.PostAsync("/support/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(TokenPattern().Match(form).Groups[1].Value),
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
    }

    static string Alert(string html) => WebUtility.HtmlDecode(AlertPattern().Match(html).Groups[1].Value);

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    [GeneratedRegex("role=\"alert\">([^<]*)<")]
    private static partial Regex AlertPattern();

    public sealed class VerificationCounter
    {
        int _count;

        public int Count => Volatile.Read(ref _count);

        public void Increment() => Interlocked.Increment(ref _count);

        public void Reset() => Volatile.Write(ref _count, 0);
    }

    // The real hasher, counting verifications: the structural form of "every failure does the same work".
    sealed class CountingHasher(VerificationCounter counter, IOptions<PasswordHasherOptions> options) : IPasswordHasher<CommerceUser>
    {
        readonly PasswordHasher<CommerceUser> _inner = new(options);

        public string HashPassword(CommerceUser user, string password) => _inner.HashPassword(user, password);

        public PasswordVerificationResult VerifyHashedPassword(CommerceUser user, string hashedPassword, string providedPassword)
        {
            counter.Increment();
            return _inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }
    }

    sealed class CapturingLogs(System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Capturing(lines);

        public void Dispose()
        {
        }

        sealed class Capturing(System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state,
                Exception? exception, Func<TState, Exception?, string> formatter) => lines.Enqueue(formatter(state, exception));
        }
    }
}

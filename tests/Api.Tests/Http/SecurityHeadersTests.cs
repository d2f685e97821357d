using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using GlobalCommerce.Api.Tests.Fuzzing;
using GlobalCommerce.Api.Tests.Support;

namespace GlobalCommerce.Api.Tests.Http;

public sealed partial class SecurityHeadersTests
{
    static readonly HashSet<string> PublicCatalogReads = ["GET /api/products", "GET /api/products/{id}", "GET /api/search", "GET /api/categories"];

    [Fact]
    public async Task Every_operation_of_the_openapi_document_answers_nosniff_a_policy_and_no_store_for_anonymous_and_shopper()
    {
        await using var factory = new ApiFactory();
        var (operations, _) = await ApiOperations.ReadAsync(factory.CreateClient());
        Assert.NotEmpty(operations);
        var missing = new List<string>();
        foreach (var shopper in new[] { false, true })
        {
            foreach (var operation in operations.Where(o => o.Method != "DELETE" && !o.Path.EndsWith("/logout", StringComparison.Ordinal)))
            {
                var client = shopper ? await factory.CreateShopperClientAsync() : factory.CreateClient();
                using var request = new HttpRequestMessage(new HttpMethod(operation.Method), operation.PlausiblePath());
                if (operation.BodySchema is not null)
                    request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                using var response = await client.SendAsync(request);
                var who = $"{operation} as {(shopper ? "shopper" : "anonymous")} ({(int)response.StatusCode})";
                if (!HasValue(response, "X-Content-Type-Options", "nosniff"))
                    missing.Add($"{who}: nosniff");
                // Public catalog reads may be kept by a cache that revalidates them (their ETag), when nobody is signed in.
                var cacheControl = !shopper && response.StatusCode == HttpStatusCode.OK && PublicCatalogReads.Contains($"{operation.Method} {operation.Path}")
                    ? "no-cache"
                    : "no-store";
                if (!HasValue(response, "Cache-Control", cacheControl))
                    missing.Add($"{who}: Cache-Control {cacheControl}");
                if (!HasValue(response, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"))
                    missing.Add($"{who}: Content-Security-Policy");
            }
        }

        Assert.Empty(missing);
    }

    [Fact]
    public async Task Answers_with_tokens_or_personal_data_are_never_stored()
    {
        await using var factory = new ApiFactory();
        var client = factory.CreateClient();

        var login = await client.PostAsJsonAsync("/api/auth/login", new { email = "shopper@demo.local", password = ApiFactory.DemoPassword });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.True(HasValue(login, "Cache-Control", "no-store"));
        var tokens = await login.Content.ReadFromJsonAsync<JsonElement>(ApiFactory.Json);

        var refresh = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = tokens.GetProperty("refreshToken").GetString() });
        Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
        Assert.True(HasValue(refresh, "Cache-Control", "no-store"));

        var shopper = await factory.CreateShopperClientAsync();
        var export = await shopper.GetAsync("/api/me/export");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.True(HasValue(export, "Cache-Control", "no-store"));
        Assert.True(HasValue(export, "X-Content-Type-Options", "nosniff"));
    }

    [Fact]
    public async Task Console_pages_carry_a_script_policy_no_referrer_and_nosniff_and_need_nothing_inline()
    {
        await using var factory = new ApiFactory();
        var anonymous = factory.CreateClient();
        var support = await ConsoleBrowser.SignedInAsync(factory, "support@demo.local");

        foreach (var (client, path) in new[] { (anonymous, "/support/login"), (support, "/support"), (support, "/support/orders?q=x") })
        {
            var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
            Assert.True(HasValue(response, "Referrer-Policy", "no-referrer"));
            Assert.True(HasValue(response, "X-Content-Type-Options", "nosniff"));
            Assert.True(HasValue(response, "Cache-Control", "no-store"), $"{path} may show personal data");

            // What the policy allows is what the page uses: the framework's script from this origin, nothing inline.
            var page = await response.Content.ReadAsStringAsync();
            Assert.Matches(BlazorScript(), page);
            Assert.DoesNotMatch(InlineScript(), page);
            Assert.DoesNotMatch(InlineStyle(), page);
        }

        var script = await anonymous.GetAsync("/_framework/blazor.web.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.True(HasValue(script, "X-Content-Type-Options", "nosniff"));
    }

    [Fact]
    public async Task Kestrel_names_no_server_neither_on_answers_nor_on_its_own_rejections()
    {
        await using var factory = new ApiFactory();
        factory.UseKestrel(0);
        factory.StartServer();
        var client = factory.CreateClient();

        var products = await client.GetAsync("/api/products");
        Assert.Equal(HttpStatusCode.OK, products.StatusCode);
        Assert.False(products.Headers.Contains("Server"));

        // Headers past Kestrel's limit are refused before any middleware runs: the 431 can carry no problem body.
        using var huge = new HttpRequestMessage(HttpMethod.Get, "/api/products");
        huge.Headers.Add("X-Padding", new string('a', 64 * 1024));
        var rejected = await client.SendAsync(huge);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, rejected.StatusCode);
        Assert.False(rejected.Headers.Contains("Server"));

        var badBytes = await RawRequestAsync(client.BaseAddress!, "GET /api/products HTTP/1.1\r\nHost: localhost\r\nX Bad\0: 1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 400", badBytes, StringComparison.Ordinal);
        Assert.DoesNotContain("\r\nServer:", badBytes, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task With_https_required_plain_http_is_redirected_and_https_from_a_known_proxy_gets_hsts_and_probes_stay_plain()
    {
        await using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["Commerce:Http:RequireHttps"] = "true",
            ["Commerce:Http:KnownProxies:0"] = "127.0.0.1",
        });
        factory.UseKestrel(0);
        factory.StartServer();
        using var client = NotFollowingRedirects(factory);

        using var plain = new HttpRequestMessage(HttpMethod.Get, "/api/products");
        plain.Headers.Host = "shop.example";
        var redirected = await client.SendAsync(plain);
        Assert.Equal(HttpStatusCode.TemporaryRedirect, redirected.StatusCode);
        Assert.Equal("https://shop.example/api/products", redirected.Headers.Location!.ToString());

        using var proxied = new HttpRequestMessage(HttpMethod.Get, "/api/products");
        proxied.Headers.Host = "shop.example";
        proxied.Headers.Add("X-Forwarded-Proto", "https");
        var served = await client.SendAsync(proxied);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal("max-age=31536000", string.Join(",", served.Headers.GetValues("Strict-Transport-Security")));

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task The_embedded_default_neither_redirects_nor_believes_forwarded_headers()
    {
        await using var factory = new ApiFactory();
        factory.UseKestrel(0);
        factory.StartServer();
        using var client = NotFollowingRedirects(factory);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/products");
        request.Headers.Host = "shop.example";
        request.Headers.Add("X-Forwarded-Proto", "https");
        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    // The factory's own client follows redirects; this one talks to the same Kestrel and shows them.
    static HttpClient NotFollowingRedirects(ApiFactory factory) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = factory.CreateClient().BaseAddress };

    static bool HasValue(HttpResponseMessage response, string header, string value) =>
        (response.Headers.TryGetValues(header, out var values) || response.Content.Headers.TryGetValues(header, out values))
        && values.Any(v => v.Split(',').Select(part => part.Trim()).Contains(value) || v == value);

    static async Task<string> RawRequestAsync(Uri server, string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer);
        return Encoding.Latin1.GetString(buffer, 0, read);
    }

    [GeneratedRegex("<script src=\"_framework/blazor\\.web[^\"]*\\.js\"")]
    private static partial Regex BlazorScript();

    [GeneratedRegex("<script(?![^>]*\\bsrc=)[^>]*>")]
    private static partial Regex InlineScript();

    [GeneratedRegex("<style|\\sstyle=\"")]
    private static partial Regex InlineStyle();
}

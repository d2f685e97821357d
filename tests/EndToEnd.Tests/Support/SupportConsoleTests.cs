using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace GlobalCommerce.EndToEnd.Tests.Support;

// The support console in headless Chromium (Debian's /usr/bin/chromium driven by Playwright) against the API on its
// embedded default, started from its build output as an operator would run it.
public sealed class SupportConsoleTests(ITestOutputHelper output) : IAsyncLifetime
{
    const string Password = "Demo-Passw0rd!";
    const string Chromium = "/usr/bin/chromium";

    readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "gc-support-e2e", Guid.NewGuid().ToString("N"));
    readonly string _screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");
    HostProcess _api = null!;
    HttpClient _http = null!;
    IPlaywright _playwright = null!;
    IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_screenshots);
        _api = HostProcess.Start("Api", new Dictionary<string, string>
        {
            // Development serves the Blazor script and stylesheet straight from the build output.
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Commerce__DataDirectory"] = _dataDirectory,
            ["Commerce__Payments__GatewayTimeout"] = "00:00:00.300",
            // A payment nobody answers stays in AwaitingPayment for the whole test, and shows on the worklist at once.
            ["Commerce__Orders__StepTimeout"] = "00:10:00",
            ["Commerce__Support__StateAgeLimits__AwaitingPayment"] = "00:00:01",
            ["Commerce__Support__WorklistRefresh"] = "00:00:01",
            ["Commerce__Fraud__HighRiskCountries__0"] = "FR",
        });
        await _api.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        _http = new HttpClient { BaseAddress = _api.Address };
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    [Fact]
    public async Task Support_finds_an_order_by_email_reads_its_timeline_and_cancels_it_with_stock_restored_and_audited()
    {
        var product = await FindProductAsync(p => p.GetProperty("available").GetInt32() >= 100 && p.GetProperty("price").GetDecimal() < 100m);
        var productId = product.GetProperty("id").GetGuid();
        var before = product.GetProperty("available").GetInt32();
        var email = $"ada.{Guid.NewGuid():N}@example.com";
        // The gateway never answers tok_timeout: the order waits in AwaitingPayment with its stock reserved.
        var orderId = await PlaceOrderAsync(productId, 2, "tok_timeout", email, "DE");
        await WaitForApiStateAsync(orderId, "AwaitingPayment");
        Assert.Equal(before - 2, await AvailableAsync(productId));
        // A second order held for manual fraud review, so the worklist has more than one state to show.
        var held = await PlaceOrderAsync(productId, 1, "tok_visa", $"grace.{Guid.NewGuid():N}@example.com", "FR");
        await WaitForApiStateAsync(held, "AwaitingFraudReview");

        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(_api.Address, "/support").ToString());
        Assert.Contains("/support/login", page.Url, StringComparison.Ordinal);
        await SignInAsync(page, "support@demo.local");

        await page.GetByRole(AriaRole.Heading, new() { Name = "Worklist" }).WaitForAsync();
        // The worklist's circuit opens (the Blazor hub answers the console cookie): it says Live, not Snapshot.
        await page.Locator(".live.on").WaitForAsync();
        await page.Locator($"table.worklist a[href='/support/orders/{orderId}']").WaitForAsync();
        Assert.Equal("1", await page.Locator("[data-count-state=AwaitingFraudReview]").InnerTextAsync());
        await ScreenshotAsync(page, "1-worklist");

        await page.GetByRole(AriaRole.Link, new() { Name = "Find orders" }).ClickAsync();
        await page.Locator("input[name=q]").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("q=", StringComparison.Ordinal));
        Assert.Contains(Uri.EscapeDataString(email), page.Url, StringComparison.OrdinalIgnoreCase);
        var results = page.Locator("table.results tbody tr");
        Assert.Equal(1, await results.CountAsync());
        // Support sees the address masked.
        Assert.DoesNotContain(email, await results.InnerTextAsync(), StringComparison.Ordinal);
        await ScreenshotAsync(page, "2-search");

        await page.Locator($"table.results a[href='/support/orders/{orderId}']").ClickAsync();
        var timeline = page.Locator("ol.timeline");
        await timeline.WaitForAsync();
        var steps = await timeline.Locator(".event").AllInnerTextsAsync();
        Assert.Equal(["SubmitOrder", "InventoryReserved", "FraudAssessed"], steps.Take(3));
        Assert.Contains("Why is it stuck?", await page.Locator("#stuck").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("ChargePayment", await page.Locator("#stuck").InnerTextAsync(), StringComparison.Ordinal);
        await page.Locator("svg.diagram g.node.current[data-state=AwaitingPayment]").WaitForAsync();
        await page.Locator(".live-state[data-interactive=true]").WaitForAsync();
        await ScreenshotAsync(page, "3-order", fullPage: true);

        await page.GetByRole(AriaRole.Link, new() { Name = "Cancel with compensation" }).ClickAsync();
        var preview = await page.Locator("ol.preview").InnerTextAsync();
        Assert.Contains("CancelOrder", preview, StringComparison.Ordinal);
        Assert.Contains("ReleaseInventory", preview, StringComparison.Ordinal);
        Assert.Contains("RefundPayment", preview, StringComparison.Ordinal);
        const string reason = "Customer called: the payment hangs, cancelling on their request";
        await page.Locator("textarea").FillAsync(reason);
        await ScreenshotAsync(page, "4-cancel-preview");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send CancelOrder" }).ClickAsync();

        // The order page follows the saga live: its circuit connects, and the badge turns to Cancelled without a reload.
        // (It used to pass only when the saga had cancelled before the page rendered: the circuit never opened, as the
        // Blazor hub answered 401, and a badge rendered as AwaitingPayment stayed so.)
        await page.Locator(".alert.ok").WaitForAsync();
        await page.Locator(".live-state[data-interactive=true]").WaitForAsync();
        await page.Locator(".live-state [data-state=Cancelled]").WaitForAsync(new() { Timeout = 30_000 });
        await WaitForApiStateAsync(orderId, "Cancelled");
        await WaitUntilAsync(async () => await AvailableAsync(productId) == before - 1, "stock was not restored after the cancellation");

        await page.ReloadAsync();
        var audit = page.Locator("table.audit tr.acted").First;
        await audit.WaitForAsync();
        var auditText = await audit.InnerTextAsync();
        Assert.Contains("support@demo.local", auditText, StringComparison.Ordinal);
        Assert.Contains(reason, auditText, StringComparison.Ordinal);
        Assert.Contains("Applied: AwaitingPayment → Cancelled", auditText, StringComparison.Ordinal);
        Assert.True(await page.Locator("table.audit tr.viewed").CountAsync() >= 2, "each view of the order is audited");
        Assert.Contains("Released", await page.Locator(".position").Nth(1).InnerTextAsync(), StringComparison.Ordinal);
        await ScreenshotAsync(page, "5-cancelled", fullPage: true);
        await context.CloseAsync();
    }

    [Fact]
    public async Task A_shopper_is_refused()
    {
        var context = await _browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(_api.Address, "/support/orders").ToString());
        await SignInAsync(page, "shopper@demo.local");

        var refusal = await page.Locator(".alert.error").InnerTextAsync();
        // The same refusal as a wrong password: the console tells nobody whether a shopper's password was right.
        Assert.Contains("this account cannot use the support console", refusal, StringComparison.Ordinal);
        await ScreenshotAsync(page, "6-shopper-refused");
        await page.GotoAsync(new Uri(_api.Address, "/support/orders").ToString());
        Assert.Contains("/support/login", page.Url, StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("form.search").CountAsync());
        await context.CloseAsync();
    }

    static async Task SignInAsync(IPage page, string email)
    {
        await page.Locator("input[name='Input.Email']").FillAsync(email);
        await page.Locator("input[name='Input.Password']").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
    }

    async Task ScreenshotAsync(IPage page, string name, bool fullPage = false)
    {
        var path = Path.Combine(_screenshots, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = fullPage });
        output.WriteLine($"screenshot: {path}");
    }

    // The order's customer, and the email support searches by, is whoever is signed in: a shopper with this address.
    async Task<Guid> PlaceOrderAsync(Guid productId, int quantity, string token, string email, string country)
    {
        const string shopperPassword = "Lantern-Quartz-42";
        await _http.PostAsJsonAsync("/api/auth/register", new { email, password = shopperPassword });
        var login = await _http.PostAsJsonAsync("/api/auth/login", new { email, password = shopperPassword });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var accessToken = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", accessToken);
        var response = await _http.PostAsJsonAsync("/api/orders", new
        {
            items = new[] { new { productId, quantity } },
            shippingAddress = new { name = "Ada Lovelace", line1 = "1 Main St", city = "Berlin", postalCode = "10115", country },
            paymentToken = token,
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();
    }

    // Read through the API as admin: the orders belong to different shoppers, and _http carries the last one's token.
    async Task WaitForApiStateAsync(Guid orderId, string state)
    {
        if (_adminToken is null)
        {
            var login = await _http.PostAsJsonAsync("/api/auth/login", new { email = "admin@demo.local", password = Password });
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            _adminToken = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        }

        await WaitUntilAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/orders/{orderId}");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _adminToken);
            using var response = await _http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString() == state;
        }, $"order {orderId} did not reach {state}");
    }

    string? _adminToken;

    static async Task WaitUntilAsync(Func<Task<bool>> condition, string failure)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, failure);
            await Task.Delay(100);
        }
    }

    async Task<JsonElement> FindProductAsync(Func<JsonElement, bool> predicate) =>
        (await _http.GetFromJsonAsync<JsonElement[]>("/api/products"))!.First(predicate);

    async Task<int> AvailableAsync(Guid productId) =>
        (await _http.GetFromJsonAsync<JsonElement>($"/api/products/{productId}")).GetProperty("available").GetInt32();

    public async Task DisposeAsync()
    {
        if (_browser is not null)
            await _browser.DisposeAsync();
        _playwright?.Dispose();
        _http?.Dispose();
        if (_api is not null)
            await _api.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

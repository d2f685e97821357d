using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using GlobalCommerce.Api.Tests.Orders;
using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Fraud;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Sagas.Orders;
using MassTransit;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Api.Tests.Support;

// The support console's pages rendered on the server, read through HTTP as a browser would get them.
public sealed partial class SupportConsoleTests
{
    const string Password = "Demo-Passw0rd!";

    [Fact]
    public async Task The_console_needs_a_staff_sign_in_and_refuses_a_shopper_and_its_cookie_is_no_key_to_the_api()
    {
        await using var factory = new ApiFactory();
        var client = Browser(factory);

        var anonymous = await client.GetAsync("/support/orders");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.StartsWith("/support/login?ReturnUrl=", anonymous.Headers.Location!.PathAndQuery, StringComparison.Ordinal);

        const string refused = "Sign-in failed: wrong email, password or code, or this account cannot use the support console.";
        var wrong = await SignInAsync(client, "support@demo.local", "not-the-password");
        Assert.Contains(refused, WebUtility.HtmlDecode(await wrong.Content.ReadAsStringAsync()), StringComparison.Ordinal);

        // A shopper's right password gets the wrong password's answer: the console is no password oracle.
        var shopper = await SignInAsync(client, "shopper@demo.local", Password);
        Assert.Equal(HttpStatusCode.OK, shopper.StatusCode);
        Assert.Contains(refused, WebUtility.HtmlDecode(await shopper.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/support")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/products")).StatusCode);
        // Signed in to the console as support, the browser still holds no bearer token: the JSON API refuses it.
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(client, "support@demo.local", Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/support")).StatusCode);
        var order = await client.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id));
        Assert.Equal(HttpStatusCode.Unauthorized, order.StatusCode);
    }

    [Fact]
    public async Task Support_finds_an_order_sees_it_masked_and_audited_and_an_admin_sees_it_in_full()
    {
        await using var factory = new ApiFactory();
        var api = factory.CreateClient();
        var email = $"Ada.{Guid.NewGuid():N}@Example.com";
        var orderId = await PlaceAsync(api, "tok_visa", email);
        var order = await factory.WaitForOrderStateAsync(api, orderId, "Completed");

        var support = Browser(factory);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(support, "support@demo.local", Password)).StatusCode);
        foreach (var query in new[] { email.ToUpperInvariant(), orderId.ToString(), order.GetProperty("trackingNumber").GetString()!,
                     order.GetProperty("paymentReference").GetString()! })
        {
            var results = await support.GetStringAsync($"/support/orders?q={Uri.EscapeDataString(query)}");
            Assert.Contains($"href=\"/support/orders/{orderId}\"", results, StringComparison.Ordinal);
            Assert.DoesNotContain(email.ToLowerInvariant(), results, StringComparison.Ordinal);
        }

        var none = await support.GetStringAsync($"/support/orders?q={Uri.EscapeDataString(email)}&state=Cancelled");
        Assert.Contains("No order matches.", none, StringComparison.Ordinal);

        await support.GetStringAsync($"/support/orders/{orderId}");
        var page = WebUtility.HtmlDecode(await support.GetStringAsync($"/support/orders/{orderId}"));
        Assert.Contains("class=\"node current terminal\" data-state=\"Completed\"", page, StringComparison.Ordinal);
        Assert.Equal(["SubmitOrder", "InventoryReserved", "FraudAssessed", "PaymentCompleted", "ShipmentCreated"],
            EventPattern().Matches(page).Select(m => m.Groups[1].Value));
        Assert.Contains(">Succeeded</span>", page, StringComparison.Ordinal);
        Assert.Contains(">Committed</span>", page, StringComparison.Ordinal);
        Assert.Contains(">Created</span>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("1 Main St", page, StringComparison.Ordinal);
        Assert.DoesNotContain(email.ToLowerInvariant(), page, StringComparison.Ordinal);
        Assert.Equal(2, ViewedBy(page, "support@demo.local"));

        var admin = Browser(factory);
        await SignInAsync(admin, "admin@demo.local", Password);
        var full = WebUtility.HtmlDecode(await admin.GetStringAsync($"/support/orders/{orderId}"));
        Assert.Contains(email.ToLowerInvariant(), full, StringComparison.Ordinal);
        Assert.Contains("Ada Lovelace, 1 Main St", full, StringComparison.Ordinal);
        Assert.Equal(1, ViewedBy(full, "admin@demo.local"));
    }

    [Fact]
    public async Task A_cancellation_refunding_more_than_the_limit_needs_an_admin_and_every_attempt_is_audited()
    {
        await using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["Commerce:Support:RefundApprovalLimit"] = "10",
            ["Commerce:Orders:StepTimeout"] = "00:10:00",
        });
        var api = factory.CreateClient();
        // The gateway never answers: the order waits in AwaitingPayment with a charge of unknown outcome.
        var orderId = await PlaceAsync(api, "tok_timeout", "grace@example.com");
        await factory.WaitForOrderStateAsync(api, orderId, "AwaitingPayment");
        var action = $"/support/orders/{orderId}/act/cancel";

        var support = Browser(factory);
        await SignInAsync(support, "support@demo.local", Password);
        var preview = await WaitForPageAsync(support, action, "need the admin role (this one");
        Assert.Contains("CancelOrder", preview, StringComparison.Ordinal);
        Assert.DoesNotContain("<textarea", preview, StringComparison.Ordinal);
        var forged = await PostActionAsync(support, action, "Customer asked on the phone", "AwaitingPayment");
        Assert.Contains("need the admin role", WebUtility.HtmlDecode(await forged.Content.ReadAsStringAsync()), StringComparison.Ordinal);

        var admin = Browser(factory);
        await SignInAsync(admin, "admin@demo.local", Password);
        var tooShort = await PostActionAsync(admin, action, "no", "AwaitingPayment");
        Assert.Contains("Give a reason of 5 to 500 characters.", await tooShort.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var stale = await PostActionAsync(admin, action, "Customer asked on the phone", "Pending");
        Assert.Contains("The order moved from Pending to AwaitingPayment since the preview", await stale.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var sent = await PostActionAsync(admin, action, "Customer asked on the phone", "AwaitingPayment");
        Assert.Equal(HttpStatusCode.Redirect, sent.StatusCode);

        var cancelled = await factory.WaitForOrderStateAsync(api, orderId, "Cancelled");
        Assert.Equal("Customer asked on the phone (by admin admin@demo.local)", cancelled.GetProperty("cancellationReason").GetString());
        var page = WebUtility.HtmlDecode(await WaitForPageAsync(admin, $"/support/orders/{orderId}", "Applied: AwaitingPayment → Cancelled"));
        Assert.Contains("Refused: Refunds above 10.00 EUR need the admin role", page, StringComparison.Ordinal);
        Assert.Contains("Refused: Give a reason", page, StringComparison.Ordinal);
        Assert.Contains("Refused: The order moved from Pending", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_that_faults_for_an_order_is_kept_in_the_order_fault_log()
    {
        await using var factory = new ApiFactory();
        var orderId = Guid.NewGuid();

        // A poison command: the consumer throws on it until its retries are spent, then MassTransit publishes the fault.
        var endpoint = await factory.Services.GetRequiredService<IBus>().GetSendEndpoint(QueueNames.ReserveInventory);
        await endpoint.Send(new ReserveInventory { OrderId = orderId, Lines = null! });

        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        OrderFault? fault = null;
        while (fault is null && DateTime.UtcNow < until)
        {
            await Task.Delay(250);
            await using var scope = factory.Services.CreateAsyncScope();
            fault = await scope.ServiceProvider.GetRequiredService<OrderDbContext>().Faults.AsNoTracking().SingleOrDefaultAsync(f => f.OrderId == orderId);
        }

        Assert.NotNull(fault);
        Assert.Equal("ReserveInventory", fault.MessageType);
        Assert.Equal("reserve-inventory", fault.Endpoint);
        Assert.NotEmpty(fault.ExceptionType);
    }

    [Fact]
    public async Task Signing_out_ends_the_console_session()
    {
        await using var factory = new ApiFactory();
        var support = Browser(factory);
        await SignInAsync(support, "support@demo.local", Password);
        var page = await support.GetStringAsync("/support/orders");

        var logout = await support.PostAsync("/support/logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = Token(page),
        }));

        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        Assert.Equal("/support/login", logout.Headers.Location!.OriginalString);
        var after = await support.GetAsync("/support/orders");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/support/login?ReturnUrl=", after.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    // The interactive components talk to the server over the Blazor hub; if the API's bearer-token fallback policy
    // guarded it, the browser would get 401s and the live views would never start.
    [Fact]
    public async Task The_blazor_hub_answers_a_signed_in_staff_member_and_only_the_console_cookie_opens_it()
    {
        await using var factory = new ApiFactory();
        var support = Browser(factory);
        await SignInAsync(support, "support@demo.local", Password);

        var initializers = await support.GetAsync("/_blazor/initializers");
        Assert.Equal(HttpStatusCode.OK, initializers.StatusCode);
        var negotiate = await support.PostAsync("/_blazor/negotiate?negotiateVersion=1", new StringContent(""));
        Assert.Equal(HttpStatusCode.OK, negotiate.StatusCode);
        Assert.Contains("connectionToken", await negotiate.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var anonymous = await Browser(factory).PostAsync("/_blazor/negotiate?negotiateVersion=1", new StringContent(""));
        Assert.NotEqual(HttpStatusCode.OK, anonymous.StatusCode);
    }

    [Fact]
    public async Task Search_results_show_each_order_id_in_full_so_sequential_ids_stay_apart()
    {
        await using var factory = new ApiFactory();
        var api = factory.CreateClient();
        var email = $"twice.{Guid.NewGuid():N}@example.com";
        var first = await PlaceAsync(api, "tok_visa", email);
        var second = await PlaceAsync(api, "tok_visa", email);
        await factory.WaitForOrderStateAsync(api, first, "Completed");
        await factory.WaitForOrderStateAsync(api, second, "Completed");

        var admin = Browser(factory);
        await SignInAsync(admin, "admin@demo.local", Password);
        var results = await admin.GetStringAsync($"/support/orders?q={Uri.EscapeDataString(email)}");

        foreach (var orderId in new[] { first, second })
        {
            var link = Regex.Match(results, $"<a [^>]*href=\"/support/orders/{orderId}\"[^>]*>([^<]+)</a>");
            Assert.True(link.Success, $"no link to {orderId}");
            Assert.Equal(orderId.ToString(), link.Groups[1].Value.Trim());
        }
    }

    [Fact]
    public async Task The_timeline_shows_scores_and_money_as_numbers_people_read_and_messages_as_fields()
    {
        await using var factory = new ApiFactory();
        var api = factory.CreateClient();
        // 21 units over 1,000 EUR: "large" (0.05) plus "bulk" (0.10) is 0.15000000000000002 as a double, in the review band.
        var product = DemoCatalog.Products.First(p => p.Stock >= 500 && p.Price * 21 > FraudRules.LargeOrderTotal && p.Price * 21 <= FraudRules.VeryLargeOrderTotal);
        var orderId = await PlaceAsync(api, "tok_visa", $"bulk.{Guid.NewGuid():N}@example.com", product.Id, 21);
        await factory.WaitForOrderStateAsync(api, orderId, "AwaitingFraudReview");

        var admin = Browser(factory);
        await SignInAsync(admin, "admin@demo.local", Password);
        var page = WebUtility.HtmlDecode(await admin.GetStringAsync($"/support/orders/{orderId}"));
        var timeline = TimelinePattern().Match(page).Value;

        Assert.NotEmpty(timeline);
        Assert.DoesNotContain("0.15000000000000002", page, StringComparison.Ordinal);
        Assert.Contains("<th>fraudScore</th><td class=\"before\"></td><td class=\"arrow\">→</td><td class=\"after\">0.15</td>", timeline, StringComparison.Ordinal);
        Assert.Contains("<dt>score</dt><dd>0.15</dd>", timeline, StringComparison.Ordinal);
        var total = (product.Price * 21).ToString("#,##0.00", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"<dt>total</dt><dd>{total} EUR</dd>", timeline, StringComparison.Ordinal);
        Assert.DoesNotContain("{\"", timeline, StringComparison.Ordinal);
        Assert.DoesNotContain("<pre>", timeline, StringComparison.Ordinal);
    }

    static HttpClient Browser(ApiFactory factory) => factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string email, string password)
    {
        var form = await client.GetStringAsync("/support/login");
        return await client.PostAsync("/support/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = Token(form),
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
    }

    static async Task<HttpResponseMessage> PostActionAsync(HttpClient client, string action, string reason, string expectedState)
    {
        // Any page of the console carries a token (the sign-out form); a refused preview has no form of its own.
        var page = await client.GetStringAsync("/support/orders");
        return await client.PostAsync(action, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "support-action",
            ["__RequestVerificationToken"] = Token(page),
            ["Input.Reason"] = reason,
            ["Input.ExpectedState"] = expectedState,
        }));
    }

    static async Task<string> WaitForPageAsync(HttpClient client, string path, string expected, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        var page = "";
        while (DateTime.UtcNow < until)
        {
            page = await client.GetStringAsync(path);
            if (WebUtility.HtmlDecode(page).Contains(expected, StringComparison.Ordinal))
                return page;
            await Task.Delay(200);
        }

        throw new TimeoutException($"{path} never showed '{expected}':\n{page}");
    }

    // The order's customer, and the email support searches by, is whoever is signed in: a shopper with this address.
    static Task<Guid> PlaceAsync(HttpClient api, string token, string email) => PlaceAsync(api, token, email, OrderRequestsFor.Plentiful.Id, 1);

    static async Task<Guid> PlaceAsync(HttpClient api, string token, string email, Guid productId, int quantity)
    {
        const string shopperPassword = "Lantern-Quartz-42";
        await api.PostAsJsonAsync("/api/auth/register", new { email, password = shopperPassword });
        await ApiFactory.AuthorizeAsync(api, email, shopperPassword);
        var response = await api.PostAsJsonAsync("/api/orders", new
        {
            items = new[] { new { productId, quantity } },
            shippingAddress = new { name = "Ada Lovelace", line1 = "1 Main St", city = "Berlin", postalCode = "10115", country = "DE" },
            paymentToken = token,
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(ApiFactory.Json)).GetProperty("orderId").GetGuid();
    }

    static string Token(string html) => TokenPattern().Match(html) is { Success: true } match
        ? WebUtility.HtmlDecode(match.Groups[1].Value)
        : throw new InvalidOperationException("No antiforgery token on the page");

    static int ViewedBy(string page, string actor) =>
        AuditRowPattern().Matches(page).Count(m => m.Value.Contains(actor, StringComparison.Ordinal) && m.Value.Contains("Viewed", StringComparison.Ordinal));

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    [GeneratedRegex("<span class=\"event\">([^<]+)</span>")]
    private static partial Regex EventPattern();

    [GeneratedRegex("<ol class=\"timeline\">.*?</ol>", RegexOptions.Singleline)]
    private static partial Regex TimelinePattern();

    [GeneratedRegex("<tr class=\"viewed\">.*?</tr>", RegexOptions.Singleline)]
    private static partial Regex AuditRowPattern();
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace GlobalCommerce.Api.Tests.Orders;

public sealed class OrderEndpointsTests : IDisposable
{
    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task An_order_is_accepted_priced_from_the_catalog_and_reaches_completed()
    {
        var client = await _factory.CreateShopperClientAsync();
        var product = OrderRequestsFor.Plentiful;
        var before = await AvailableAsync(client, product.Id);

        var response = await client.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(product.Id, quantity: 3));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var orderId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();
        Assert.Equal($"/api/orders/{orderId}", response.Headers.Location!.OriginalString);

        var order = await _factory.WaitForOrderStateAsync(client, orderId, "Completed");
        Assert.Equal(product.Price * 3, order.GetProperty("total").GetDecimal());
        Assert.Equal("EUR", order.GetProperty("currency").GetString());
        Assert.StartsWith("GC", order.GetProperty("trackingNumber").GetString());
        var history = order.GetProperty("history").EnumerateArray().Select(t =>
            $"{t.GetProperty("from").GetString()}>{t.GetProperty("to").GetString()}:{t.GetProperty("event").GetString()}").ToList();
        Assert.Equal(
            ["Initial>Pending:SubmitOrder", "Pending>AwaitingFraudCheck:InventoryReserved", "AwaitingFraudCheck>AwaitingPayment:FraudAssessed",
             "AwaitingPayment>Confirmed:PaymentCompleted", "Confirmed>Completed:ShipmentCreated"], history);
        Assert.All(order.GetProperty("history").EnumerateArray(), t => Assert.True(t.GetProperty("at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5)));
        Assert.Equal(before - 3, await AvailableAsync(client, product.Id));
    }

    [Fact]
    public async Task A_declined_payment_fails_the_order_and_restores_the_stock()
    {
        var client = await _factory.CreateShopperClientAsync();
        var product = OrderRequestsFor.Scarce;
        var before = await AvailableAsync(client, product.Id);

        var response = await client.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(product.Id, quantity: 2, paymentToken: "tok_chargeDeclined"));
        var orderId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();

        var order = await _factory.WaitForOrderStateAsync(client, orderId, "Failed");
        Assert.Contains("declined", order.GetProperty("failureReason").GetString(), StringComparison.OrdinalIgnoreCase);
        await WaitForAvailableAsync(client, product.Id, before);
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_same_order_and_rejects_another_body()
    {
        var client = await _factory.CreateShopperClientAsync();
        var body = OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id);

        var first = await PostWithKeyAsync(client, body, "key-123");
        var second = await PostWithKeyAsync(client, body, "key-123");
        var other = await PostWithKeyAsync(client, OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id, quantity: 2), "key-123");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        var firstId = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();
        Assert.Equal(firstId, (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        var problem = await other.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("urn:globalcommerce:problem:idempotency-key-reused", problem.GetProperty("type").GetString());
        Assert.Equal("application/problem+json", other.Content.Headers.ContentType!.MediaType);

        // One order, charged and shipped once.
        await _factory.WaitForOrderStateAsync(client, firstId, "Completed");
    }

    [Fact]
    public async Task Concurrent_retries_with_one_idempotency_key_create_one_order()
    {
        var client = await _factory.CreateShopperClientAsync();
        var body = OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id);

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostWithKeyAsync(client, body, "same-key")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var ids = await Task.WhenAll(responses.Select(async r => (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid()));
        Assert.Single(ids.Distinct());
    }

    [Fact]
    public async Task An_empty_body_lists_every_missing_field()
    {
        var client = await _factory.CreateShopperClientAsync();

        var response = await client.PostAsync("/api/orders", new StringContent("{}", Encoding.UTF8, "application/json"));

        var errors = await ValidationErrorsAsync(response);
        Assert.Equal(["items", "paymentToken", "shippingAddress"], errors.Keys.Order());
    }

    [Fact]
    public async Task Bad_lines_and_address_fields_are_each_reported()
    {
        var client = await _factory.CreateShopperClientAsync();
        var body = new
        {
            items = new object[]
            {
                new { productId = Guid.NewGuid(), quantity = 1 },
                new { productId = OrderRequestsFor.Plentiful.Id, quantity = 0 },
                new { productId = OrderRequestsFor.Scarce.Id, quantity = 5000 },
            },
            shippingAddress = new { name = "", line1 = "x", city = "Berlin", postalCode = "", country = "Germany" },
            paymentToken = "tok_visa",
        };

        var errors = await ValidationErrorsAsync(await client.PostAsJsonAsync("/api/orders", body));

        Assert.Contains("Unknown product", errors["items[0].productId"][0]);
        Assert.Contains("at least 1", errors["items[1].quantity"][0]);
        Assert.Contains("At most", errors["items[2].quantity"][0]);
        Assert.True(errors.ContainsKey("shippingAddress.name"));
        Assert.True(errors.ContainsKey("shippingAddress.postalCode"));
        Assert.True(errors.ContainsKey("shippingAddress.country"));
        Assert.False(errors.ContainsKey("shippingAddress.city"));
    }

    [Theory]
    [InlineData("{\"customerId\": ")]
    [InlineData("not json at all")]
    [InlineData("{\"items\": [{\"productId\": \"x\", \"quantity\": 1}]}")]
    [InlineData("{\"items\": [{\"quantity\": \"three\"}]}")]
    [InlineData("null")]
    public async Task Malformed_json_gets_a_problem_not_a_500(string json)
    {
        var client = await _factory.CreateShopperClientAsync();

        var response = await client.PostAsync("/api/orders", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("urn:globalcommerce:problem:malformed-json", problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_refused_with_415()
    {
        var client = await _factory.CreateShopperClientAsync();

        var response = await client.PostAsync("/api/orders", new StringContent("customerId=1", Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task An_unknown_order_is_a_404_problem()
    {
        var client = await _factory.CreateShopperClientAsync();

        var get = await client.GetAsync($"/api/orders/{Guid.NewGuid()}");
        var cancel = await client.PostAsync($"/api/orders/{Guid.NewGuid()}/cancel", null);

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal("urn:globalcommerce:problem:not-found", (await get.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.NotFound, cancel.StatusCode);
    }

    [Fact]
    public async Task A_shipped_order_cannot_be_cancelled()
    {
        var client = await _factory.CreateShopperClientAsync();
        var response = await client.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id));
        var orderId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();
        await _factory.WaitForOrderStateAsync(client, orderId, "Completed");

        var cancel = await client.PostAsJsonAsync($"/api/orders/{orderId}/cancel", new { reason = "too late" });

        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
        Assert.Equal("urn:globalcommerce:problem:order-already-shipped",
            (await cancel.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Cancelling_while_payment_hangs_cancels_and_restores_stock()
    {
        var client = await _factory.CreateShopperClientAsync();
        var product = OrderRequestsFor.Scarce;
        var before = await AvailableAsync(client, product.Id);
        var response = await client.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(product.Id, paymentToken: "tok_timeout"));
        var orderId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();
        await _factory.WaitForOrderStateAsync(client, orderId, "AwaitingPayment");

        var cancel = await client.PostAsJsonAsync($"/api/orders/{orderId}/cancel", new { reason = "found it cheaper" });

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var order = await _factory.WaitForOrderStateAsync(client, orderId, "Cancelled");
        Assert.Contains("found it cheaper", order.GetProperty("cancellationReason").GetString());
        await WaitForAvailableAsync(client, product.Id, before);
    }

    [Fact]
    public async Task Products_list_prices_and_available_stock()
    {
        var client = _factory.CreateClient();

        var products = await client.GetFromJsonAsync<JsonElement[]>("/api/products");

        Assert.True(products!.Length >= 30);
        Assert.Contains(products, p => p.GetProperty("available").GetInt32() <= 50);
        Assert.Contains(products, p => p.GetProperty("available").GetInt32() >= 1000);
        Assert.True(products.Select(p => p.GetProperty("category").GetString()).Distinct().Count() >= 4);
        Assert.All(products, p =>
        {
            Assert.NotEqual(Guid.Empty, p.GetProperty("id").GetGuid());
            Assert.False(string.IsNullOrWhiteSpace(p.GetProperty("name").GetString()));
            Assert.True(p.GetProperty("price").GetDecimal() > 0);
            Assert.Equal("EUR", p.GetProperty("currency").GetString());
        });
    }

    [Fact]
    public async Task Every_endpoint_is_in_the_openapi_document()
    {
        var client = _factory.CreateClient();

        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths");
        foreach (var path in new[]
                 {
                     "/api/products", "/api/products/{id}", "/api/orders", "/api/orders/{id}", "/api/orders/{id}/cancel",
                     "/api/auth/register", "/api/auth/login", "/api/auth/refresh", "/api/auth/logout", "/api/auth/mfa/enrol",
                     "/api/auth/mfa/confirm", "/api/me", "/api/me/consent", "/api/me/export", "/api/erasures", "/api/erasures/{id}", "/.well-known/jwks.json",
                     "/.well-known/openid-configuration",
                 })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} missing from OpenAPI");
        Assert.True(paths.GetProperty("/api/me").TryGetProperty("delete", out _), "DELETE /api/me missing from OpenAPI");
    }

    static Task<HttpResponseMessage> PostWithKeyAsync(HttpClient client, object body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request);
    }

    static async Task<Dictionary<string, string[]>> ValidationErrorsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("urn:globalcommerce:problem:validation-failed", problem.GetProperty("type").GetString());
        return problem.GetProperty("errors").Deserialize<Dictionary<string, string[]>>()!;
    }

    static async Task<int> AvailableAsync(HttpClient client, Guid productId) =>
        (await client.GetFromJsonAsync<JsonElement>($"/api/products/{productId}")).GetProperty("available").GetInt32();

    static async Task WaitForAvailableAsync(HttpClient client, Guid productId, int expected)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (await AvailableAsync(client, productId) != expected)
        {
            Assert.True(DateTime.UtcNow < until, $"available stock of {productId} never returned to {expected}");
            await Task.Delay(50);
        }
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Api.Orders;
using GlobalCommerce.Sagas.Orders;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Api.Tests.Orders;

public sealed class OrderAdmissionTests
{
    [Fact]
    public async Task A_submission_beyond_the_admission_limit_gets_503_with_retry_after_and_the_retry_succeeds()
    {
        using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["Commerce:Orders:Admission:MaxConcurrent"] = "1",
            ["Commerce:Orders:Admission:QueueLimit"] = "0",
            ["Commerce:Orders:Admission:RetryAfter"] = "00:00:02",
        });
        var client = await factory.CreateShopperClientAsync();
        var admission = factory.Services.GetRequiredService<OrderAdmission>();
        var body = OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id);

        // Another submission holds the only slot.
        using (var held = await admission.AcquireAsync(CancellationToken.None))
        {
            Assert.True(held.IsAcquired);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(body) };
            request.Headers.Add("Idempotency-Key", "admission-test");
            var refused = await client.SendAsync(request);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(2), refused.Headers.RetryAfter?.Delta);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("urn:globalcommerce:problem:overloaded", problem.GetProperty("type").GetString());
        }

        // Nothing was stored for the refused attempt: the retry with the same key is accepted as a new order.
        using var retry = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(body) };
        retry.Headers.Add("Idempotency-Key", "admission-test");
        var accepted = await client.SendAsync(retry);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var orderId = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();
        await factory.WaitForOrderStateAsync(client, orderId, "Completed");
    }

    [Fact]
    public async Task Past_the_orders_in_flight_limit_a_submission_gets_503_and_nothing_is_stored_until_orders_end()
    {
        using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["Commerce:Orders:Admission:MaxInFlight"] = "2",
            ["Commerce:Orders:Admission:RetryAfter"] = "00:00:02",
        });
        var client = await factory.CreateShopperClientAsync();

        // Two orders whose gateway never answers wait in AwaitingPayment (the test host's step deadline is ten minutes).
        var parked = new List<Guid>();
        for (var i = 0; i < 2; i++)
        {
            var response = await SubmitAsync(client, OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id, paymentToken: "tok_timeout"), $"parked-{i}");
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            parked.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid());
        }

        foreach (var orderId in parked)
            await factory.WaitForOrderStateAsync(client, orderId, "AwaitingPayment");

        var body = OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id);
        var refused = await SubmitAsync(client, body, "in-flight-test");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), refused.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("urn:globalcommerce:problem:overloaded", problem.GetProperty("type").GetString());
        Assert.Equal(503, problem.GetProperty("status").GetInt32());
        Assert.Equal(parked.Order(), await StoredOrdersAsync(factory));

        // Both end; a client that honours Retry-After is then accepted with the same key, as a new order.
        foreach (var orderId in parked)
        {
            var cancelled = await client.PostAsJsonAsync($"/api/orders/{orderId}/cancel", new { reason = "making room" });
            Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);
            await factory.WaitForOrderStateAsync(client, orderId, "Cancelled");
        }

        await Task.Delay(refused.Headers.RetryAfter!.Delta!.Value);
        var accepted = await SubmitAsync(client, body, "in-flight-test");
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var acceptedId = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();
        Assert.Equal(parked.Append(acceptedId).Order(), await StoredOrdersAsync(factory));
    }

    [Fact]
    public async Task The_submit_operation_documents_its_503()
    {
        using var factory = new ApiFactory();
        var document = await factory.CreateClient().GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var responses = document.GetProperty("paths").GetProperty("/api/orders").GetProperty("post").GetProperty("responses");

        Assert.True(responses.TryGetProperty("503", out var overloaded));
        Assert.True(overloaded.GetProperty("content").TryGetProperty("application/problem+json", out _));
    }

    static async Task<HttpResponseMessage> SubmitAsync(HttpClient client, object body, string idempotencyKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await client.SendAsync(request);
    }

    static async Task<IReadOnlyList<Guid>> StoredOrdersAsync(ApiFactory factory)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var orders = scope.ServiceProvider.GetRequiredService<OrderDbContext>();
        return (await orders.Requests.AsNoTracking().Select(r => r.OrderId).ToListAsync()).Order().ToList();
    }
}

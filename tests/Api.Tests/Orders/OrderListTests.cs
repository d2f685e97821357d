using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace GlobalCommerce.Api.Tests.Orders;

public sealed class OrderListTests : IDisposable
{
    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Pages_cover_every_order_once_newest_first_while_a_new_order_arrives_between_pages()
    {
        var client = await _factory.CreateShopperClientAsync();
        var placed = new List<Guid>();
        for (var i = 0; i < 5; i++)
            placed.Add(await PlaceAsync(client));

        var first = await client.GetAsync("/api/orders?limit=2");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var (firstIds, cursor) = await PageAsync(first);
        Assert.Equal([placed[4], placed[3]], firstIds);
        Assert.NotNull(cursor);
        Assert.Contains($"cursor={cursor}", first.Headers.GetValues("Link").Single(), StringComparison.Ordinal);

        // Placed after the first page: it belongs before it, and must neither shift nor repeat the later pages.
        var late = await PlaceAsync(client);
        var seen = new List<Guid>(firstIds);
        while (cursor is not null)
        {
            var next = await client.GetAsync($"/api/orders?limit=2&cursor={cursor}");
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
            (var ids, cursor) = await PageAsync(next);
            seen.AddRange(ids);
        }

        Assert.Equal(Enumerable.Reverse(placed), seen);
        var fresh = await PageAsync(await client.GetAsync("/api/orders"));
        Assert.Equal([late, .. Enumerable.Reverse(placed)], fresh.Ids);
        Assert.Null(fresh.Cursor);
    }

    [Fact]
    public async Task A_shopper_never_sees_another_shoppers_orders()
    {
        var mine = await _factory.CreateShopperClientAsync();
        var theirs = await _factory.CreateShopperClientAsync();
        var myOrder = await PlaceAsync(mine);
        await PlaceAsync(theirs);

        var (ids, _) = await PageAsync(await mine.GetAsync("/api/orders"));
        Assert.Equal([myOrder], ids);

        var theirId = (await theirs.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("id").GetString();
        var named = await mine.GetAsync($"/api/orders?customerId={theirId}");
        Assert.Equal(HttpStatusCode.Forbidden, named.StatusCode);
        Assert.Equal("urn:globalcommerce:problem:forbidden", (await named.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Support_lists_a_named_customers_orders()
    {
        var shopper = await _factory.CreateShopperClientAsync();
        var orderId = await PlaceAsync(shopper);
        var customerId = (await shopper.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("id").GetString();
        var support = await _factory.CreateClientAsAsync("support@demo.local");

        var (ids, _) = await PageAsync(await support.GetAsync($"/api/orders?customerId={customerId}"));

        Assert.Equal([orderId], ids);
    }

    [Theory]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("cursor=MXwxfDI", "cursor")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("limit=ten", "limit")]
    public async Task A_bad_cursor_or_limit_is_a_400_problem(string query, string field)
    {
        var client = await _factory.CreateShopperClientAsync();

        var response = await client.GetAsync($"/api/orders?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("urn:globalcommerce:problem:validation-failed", problem.GetProperty("type").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task Listing_needs_a_signed_in_caller()
    {
        var response = await _factory.CreateClient().GetAsync("/api/orders");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    static async Task<Guid> PlaceAsync(HttpClient client)
    {
        var response = await client.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();
    }

    static async Task<(List<Guid> Ids, string? Cursor)> PageAsync(HttpResponseMessage response)
    {
        var page = await response.Content.ReadFromJsonAsync<JsonElement>();
        var ids = page.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("orderId").GetGuid()).ToList();
        var cursor = page.GetProperty("nextCursor");
        return (ids, cursor.ValueKind == JsonValueKind.Null ? null : cursor.GetString());
    }
}

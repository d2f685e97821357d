using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using GlobalCommerce.Api.Http;
using GlobalCommerce.Api.Identity;
using GlobalCommerce.Api.Problems;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Sagas.Orders;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Api.Orders;

// GET /api/orders: the caller's orders, newest first, a page at a time. Keyset pagination on (accepted at, order id),
// read from order_requests (every accepted order has its row from the moment it is accepted, before its saga starts):
// an order accepted while a client pages arrives before its cursor and never shifts a later page, so pages have no
// duplicates or gaps. The cursor is opaque to clients (base64url of the last row's key).
// Shoppers see their own orders only; support and admin may name a customer with ?customerId=, and see their own
// (usually none) without it. A shopper naming another customer gets 403.
public static class OrderList
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<IResult> ListAsync(HttpContext http, ClaimsPrincipal caller, string? cursor, string? limit, Guid? customerId,
        OrderDbContext orders, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var pageSize = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxLimit))
            errors["limit"] = [$"A whole number from 1 to {MaxLimit}."];
        KeysetCursor? after = null;
        if (cursor is not null)
            after = KeysetCursor.TryParse(cursor, out var parsed) ? parsed : null;
        if (cursor is not null && after is null)
            errors["cursor"] = ["Not a cursor this API gave out; start again without one."];
        if (errors.Count > 0)
            return ProblemResults.Validation(errors);

        var self = Guid.Parse(caller.FindFirstValue("sub")!);
        var staff = caller.IsInRole(Roles.Support) || caller.IsInRole(Roles.Admin);
        if (customerId is { } named && named != self && !staff)
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, type: ProblemTypes.Forbidden,
                title: "Not your orders", detail: "Only support staff may list another customer's orders.");
        }

        var customer = customerId ?? self;
        var query = orders.Requests.AsNoTracking().Where(r => r.CustomerId == customer);
        if (after is { } last)
            query = query.Where(r => r.AcceptedAt < last.At || (r.AcceptedAt == last.At && r.OrderId.CompareTo(last.Id) < 0));
        var page = await query.OrderByDescending(r => r.AcceptedAt).ThenByDescending(r => r.OrderId).Take(pageSize + 1)
            .ToListAsync(cancellationToken);
        var more = page.Count > pageSize;
        page = page.Take(pageSize).ToList();

        var ids = page.Select(r => r.OrderId).ToList();
        var states = await orders.Orders.AsNoTracking().Where(o => ids.Contains(o.CorrelationId))
            .ToDictionaryAsync(o => o.CorrelationId, o => o.CurrentState, cancellationToken);
        var items = page.Select(r =>
        {
            var submitted = JsonSerializer.Deserialize<SubmitOrder>(r.Submission, Json)!;
            return new OrderSummary(r.OrderId, states.GetValueOrDefault(r.OrderId) ?? "Submitted", submitted.Total, submitted.Currency,
                submitted.Lines.Sum(line => line.Quantity), r.AcceptedAt);
        }).ToList();

        var next = more ? new KeysetCursor(page[^1].AcceptedAt, page[^1].OrderId).ToString() : null;
        if (next is not null)
        {
            var link = $"/api/orders?limit={pageSize}&cursor={next}" + (customerId is { } c ? $"&customerId={c}" : "");
            http.Response.Headers.Link = $"<{link}>; rel=\"next\"";
        }

        return Results.Ok(new OrderPage(items, next));
    }
}

public sealed record OrderPage(IReadOnlyList<OrderSummary> Items, string? NextCursor);

public sealed record OrderSummary(Guid OrderId, string State, decimal Total, string Currency, int ItemCount, DateTimeOffset SubmittedAt);

using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GlobalCommerce.Api.Http;
using GlobalCommerce.Api.Identity;
using GlobalCommerce.Api.Problems;
using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Sagas.Orders;
using MassTransit;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Api.Orders;

public static class OrderEndpoints
{
    const int MaxIdempotencyKeyLength = 200;

    // Fifty lines with an address is about 4 KB; the rest is headroom, not room for a product-id dump.
    public const long MaxOrderBodyBytes = 64 * 1024;
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IServiceCollection AddOrderAdmission(this IServiceCollection services, IConfiguration configuration)
    {
        var options = new OrderAdmissionOptions();
        configuration.GetSection(OrderAdmission.Section).Bind(options);
        services.AddSingleton(options);
        var perCustomer = new CustomerRateLimitOptions();
        configuration.GetSection(OrderAdmission.CustomerSection).Bind(perCustomer);
        services.AddSingleton(perCustomer);
        services.AddSingleton<InFlightLimit>();
        services.AddSingleton<OrdersInFlight>();
        services.AddSingleton<OrderAdmission>();
        // Composes with Identity's login limits: each policy names its own limiter and rejection.
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>()
            .Configure<OrderAdmission>((limiter, admission) => limiter.AddPolicy(OrderAdmission.Policy, admission));
        return services;
    }

    public static IEndpointRouteBuilder MapOrders(this IEndpointRouteBuilder app)
    {
        var orders = app.MapGroup("/api/orders").WithTags("Orders");
        orders.MapPost("/", SubmitAsync).WithName("SubmitOrder").RequireAuthorization(Policies.Shopper)
            .RequireRateLimiting(OrderAdmission.Policy).WithBodyLimit(MaxOrderBodyBytes)
            .WithSummary("Place an order; prices come from the catalog, processing is asynchronous")
            .WithDescription("Answers 202 with the order id and a Location to poll. Send an Idempotency-Key header to make retries safe: "
                + "the same key and body return the same order; the same key with another body is rejected with 422.")
            .Accepts<SubmitOrderRequest>("application/json")
            .Produces<OrderAccepted>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        orders.MapGet("/", OrderList.ListAsync).WithName("ListOrders").RequireAuthorization(Policies.OrderReader)
            .WithSummary("The caller's orders, newest first, a page at a time (support and admin: any customer's, with customerId)")
            .WithDescription($"Pass the previous page's nextCursor (also in the Link header, rel=next) as cursor for the next page; "
                + $"limit is 1 to {OrderList.MaxLimit} (default {OrderList.DefaultLimit}). Orders placed while paging appear on a new first page, "
                + "never shifting later ones. A shopper naming another customer's id gets 403.")
            .Produces<OrderPage>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        orders.MapGet("/{id:guid}", GetAsync).WithName("GetOrder").RequireAuthorization(Policies.OrderReader)
            .WithSummary("An order's current state, amounts and full transition history (its customer, support and admin only; 404 for anyone else)")
            .Produces<OrderResponse>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);
        orders.MapPost("/{id:guid}/cancel", CancelAsync).WithName("CancelOrder").RequireAuthorization(Policies.OrderReader)
            .WithSummary("Ask for cancellation (its customer, support and admin only); refused with 409 once the order has shipped or ended")
            .Accepts<CancelOrderRequest>(isOptional: true, "application/json")
            .Produces(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    static async Task<IResult> SubmitAsync(HttpRequest http, ClaimsPrincipal caller, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        OrderDbContext orders, CatalogDbContext catalog, BusOutbox<OrderDbContext> outbox, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (request, problem) = await JsonBody.ReadAsync<SubmitOrderRequest>(http, required: true, cancellationToken);
        if (problem is not null || request is null)
            return problem!;

        // The catalog is asked only about an order of a shape it could accept: a query's cost grows with the ids it names.
        var productIds = OrderValidation.ProductsToLookUp(request);
        var products = productIds.Count == 0
            ? new Dictionary<Guid, Product>()
            : await catalog.Products.AsNoTracking().Where(product => productIds.Contains(product.Id))
                .ToDictionaryAsync(product => product.Id, cancellationToken);
        var customerId = CustomerOf(caller);
        var errors = OrderValidation.Validate(request, customerId, products);
        if (idempotencyKey is { Length: 0 or > MaxIdempotencyKeyLength })
            errors["Idempotency-Key"] = [$"The key must be 1 to {MaxIdempotencyKeyLength} characters."];
        if (errors.Count > 0)
            return ProblemResults.Validation(errors);

        var hash = Hash(request);
        idempotencyKey = idempotencyKey is null ? null : $"{customerId:N}:{idempotencyKey}";
        if (idempotencyKey is not null
            && await orders.Requests.AsNoTracking().SingleOrDefaultAsync(r => r.IdempotencyKey == idempotencyKey, cancellationToken) is { } earlier)
            return Replay(earlier, hash);

        var order = Price(request, customerId, EmailOf(caller), products, clock.GetUtcNow());
        // The accepted order and the SubmitOrder that starts its saga commit together; delivery follows the commit.
        outbox.Send(QueueNames.OrderSaga, order);
        orders.Requests.Add(new OrderRequest
        {
            OrderId = order.OrderId,
            CustomerId = order.CustomerId,
            IdempotencyKey = idempotencyKey,
            RequestHash = hash,
            Submission = JsonSerializer.Serialize(order, Json),
            AcceptedAt = order.SubmittedAt,
        });
        try
        {
            await outbox.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException) when (idempotencyKey is not null)
        {
            // A concurrent retry with the same key stored first: answer as that request was answered.
            orders.ChangeTracker.Clear();
            var winner = await orders.Requests.AsNoTracking().SingleAsync(r => r.IdempotencyKey == idempotencyKey, cancellationToken);
            return Replay(winner, hash);
        }

        OrderMetrics.OrderSubmitted();
        return Accepted(order.OrderId);
    }

    static IResult Replay(OrderRequest earlier, string hash) => earlier.RequestHash == hash
        ? Accepted(earlier.OrderId)
        : Results.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, type: ProblemTypes.IdempotencyKeyReused,
            title: "Idempotency key already used for a different request",
            detail: $"The key was first used for order {earlier.OrderId} with another body. Use a new key for a new order.");

    static async Task<IResult> GetAsync(Guid id, ClaimsPrincipal caller, OrderDbContext orders, CancellationToken cancellationToken)
    {
        // The timeline as the shopper sees it: each step's message and the saga's snapshot after it (what support staff
        // read, and most of a transition's bytes) stay in the database. Shoppers poll this while their order runs.
        var found = await orders.Orders.AsNoTracking()
            .Where(order => order.CorrelationId == id)
            .Select(order => new
            {
                Order = order,
                History = order.History.OrderBy(transition => transition.Id)
                    .Select(transition => new TransitionResponse(transition.From, transition.To, transition.Event, transition.At, transition.Detail))
                    .ToList(),
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (found is not null)
            return MayRead(caller, found.Order.CustomerId) ? Results.Ok(ToResponse(found.Order, found.History)) : ProblemResults.NotFound("Order", id);

        var accepted = await orders.Requests.AsNoTracking().SingleOrDefaultAsync(r => r.OrderId == id, cancellationToken);
        if (accepted is null || !MayRead(caller, accepted.CustomerId))
            return ProblemResults.NotFound("Order", id);

        var submitted = JsonSerializer.Deserialize<SubmitOrder>(accepted.Submission, Json)!;
        return Results.Ok(new OrderResponse(submitted.OrderId, submitted.CustomerId, "Submitted", submitted.Total, submitted.Currency,
            [.. submitted.Lines.Select(ToResponse)], submitted.ShippingAddress, null, null, null, null, null, submitted.SubmittedAt, accepted.AcceptedAt, null, []));
    }

    static async Task<IResult> CancelAsync(Guid id, HttpRequest http, ClaimsPrincipal caller, OrderDbContext orders, BusOutbox<OrderDbContext> outbox,
        CancellationToken cancellationToken)
    {
        // Someone else's order is answered exactly like a missing one.
        var owner = await orders.Requests.AsNoTracking().Where(r => r.OrderId == id).Select(r => (Guid?)r.CustomerId).SingleOrDefaultAsync(cancellationToken)
            ?? await orders.Orders.AsNoTracking().Where(o => o.CorrelationId == id).Select(o => (Guid?)o.CustomerId).SingleOrDefaultAsync(cancellationToken);
        if (owner is null || !MayRead(caller, owner.Value))
            return ProblemResults.NotFound("Order", id);

        var (body, problem) = await JsonBody.ReadAsync<CancelOrderRequest>(http, required: false, cancellationToken);
        if (problem is not null)
            return problem;
        if (body?.Reason is { Length: > 500 })
            return ProblemResults.Validation(new Dictionary<string, string[]> { ["reason"] = ["At most 500 characters."] });

        var state = await orders.Orders.AsNoTracking().Where(order => order.CorrelationId == id)
            .Select(order => order.CurrentState).SingleOrDefaultAsync(cancellationToken);
        if (state is null)
        {
            return await orders.Requests.AnyAsync(r => r.OrderId == id, cancellationToken)
                ? ProblemResults.Conflict(ProblemTypes.OrderNotStarted, "Order not started yet",
                    "The order was accepted but processing has not started; try again in a moment.")
                : ProblemResults.NotFound("Order", id);
        }

        if (state == OrderStateMachine.CompletedStateName)
            return ProblemResults.Conflict(ProblemTypes.OrderAlreadyShipped, "Order already shipped",
                "A shipped order cannot be cancelled; ask for a return instead.");
        if (OrderStateMachine.TerminalStateNames.Contains(state))
            return ProblemResults.Conflict(ProblemTypes.OrderClosed, "Order already ended", $"The order is {state}.");

        outbox.Send(QueueNames.OrderSaga, new CancelOrder
        {
            OrderId = id,
            Reason = string.IsNullOrWhiteSpace(body?.Reason) ? "Cancelled by the customer" : body.Reason,
            RequestedBy = IsStaff(caller) ? "support" : "customer",
        });
        await outbox.SaveChangesAsync(cancellationToken);
        return Results.Accepted($"/api/orders/{id}");
    }

    static IResult Accepted(Guid orderId) => Results.Accepted($"/api/orders/{orderId}", new OrderAccepted(orderId));

    static Guid CustomerOf(ClaimsPrincipal caller) => Guid.Parse(caller.FindFirstValue("sub")!);

    // Kept on the order so support can find it by the customer's address (shown masked to the support role).
    static string? EmailOf(ClaimsPrincipal caller) =>
        caller.FindFirstValue("email") is { Length: > 0 } email ? email.Trim().ToLowerInvariant() : null;

    static bool IsStaff(ClaimsPrincipal caller) => caller.IsInRole(Roles.Support) || caller.IsInRole(Roles.Admin);

    static bool MayRead(ClaimsPrincipal caller, Guid customerId) => IsStaff(caller) || CustomerOf(caller) == customerId;

    static SubmitOrder Price(SubmitOrderRequest request, Guid customerId, string? customerEmail, IReadOnlyDictionary<Guid, Product> products, DateTimeOffset now)
    {
        var lines = request.Items!.Select(item =>
        {
            var product = products[item!.ProductId!.Value];
            return new OrderLine
            {
                ProductId = product.Id,
                Sku = product.Sku,
                Name = product.Name,
                Quantity = item.Quantity!.Value,
                UnitPrice = product.Price,
            };
        }).ToList();
        var address = request.ShippingAddress!;
        return new SubmitOrder
        {
            OrderId = TimeOrderedId.New(),
            CustomerId = customerId,
            CustomerEmail = customerEmail,
            Lines = lines,
            Total = lines.Sum(line => line.UnitPrice * line.Quantity),
            Currency = products[lines[0].ProductId].Currency,
            ShippingAddress = new ShippingAddress
            {
                Name = address.Name!.Trim(),
                Line1 = address.Line1!.Trim(),
                Line2 = string.IsNullOrWhiteSpace(address.Line2) ? null : address.Line2.Trim(),
                City = address.City!.Trim(),
                PostalCode = address.PostalCode!.Trim(),
                Country = address.Country!.ToUpperInvariant(),
            },
            PaymentToken = request.PaymentToken!.Trim(),
            SubmittedAt = now,
        };
    }

    static string Hash(SubmitOrderRequest request) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(request, Json))));

    static OrderResponse ToResponse(OrderState saga, IReadOnlyList<TransitionResponse> history) => new(
        saga.CorrelationId, saga.CustomerId, saga.CurrentState, saga.Total, saga.Currency, [.. saga.Lines.Select(ToResponse)], saga.ShippingAddress,
        saga.PaymentReference, saga.Carrier, saga.TrackingNumber, saga.FailureReason, saga.CancellationReason,
        saga.SubmittedAt, saga.UpdatedAt, saga.DeadlineAt, history);

    static OrderLineResponse ToResponse(OrderLine line) => new(line.ProductId, line.Sku, line.Name, line.Quantity, line.UnitPrice);
}

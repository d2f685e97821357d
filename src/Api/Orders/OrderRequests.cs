namespace GlobalCommerce.Api.Orders;

// Everything nullable: missing fields are reported by validation, not by a binder exception.
// The customer (id and email) comes from the caller's token; a customerId in the body must name them.
public sealed record SubmitOrderRequest(Guid? CustomerId, IReadOnlyList<OrderItemRequest?>? Items, AddressRequest? ShippingAddress, string? PaymentToken);

public sealed record OrderItemRequest(Guid? ProductId, int? Quantity);

public sealed record AddressRequest(string? Name, string? Line1, string? Line2, string? City, string? PostalCode, string? Country);

public sealed record CancelOrderRequest(string? Reason);

public sealed record OrderAccepted(Guid OrderId);

public sealed record OrderResponse(
    Guid OrderId,
    Guid CustomerId,
    string State,
    decimal Total,
    string Currency,
    IReadOnlyList<OrderLineResponse> Lines,
    GlobalCommerce.Contracts.Orders.ShippingAddress ShippingAddress,
    string? PaymentReference,
    string? Carrier,
    string? TrackingNumber,
    string? FailureReason,
    string? CancellationReason,
    DateTimeOffset SubmittedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? DeadlineAt,
    IReadOnlyList<TransitionResponse> History);

public sealed record OrderLineResponse(Guid ProductId, string Sku, string Name, int Quantity, decimal UnitPrice);

public sealed record TransitionResponse(string From, string To, string Event, DateTimeOffset At, string? Detail);

using System.Text.Json;
using GlobalCommerce.Contracts.Orders;

namespace GlobalCommerce.Sagas.Orders;

// The saga's business data at one point in time, stored with each transition so support staff can see what a step
// changed. Leaves out the payment token, the concurrency version and the history itself.
public sealed record OrderSnapshot(
    string State,
    Guid CustomerId,
    string? CustomerEmail,
    IReadOnlyList<OrderLine> Lines,
    decimal Total,
    string Currency,
    ShippingAddress ShippingAddress,
    double? FraudScore,
    string? FraudReasons,
    string? PaymentReference,
    string? Carrier,
    string? TrackingNumber,
    string? FailureReason,
    string? CancellationReason,
    DateTimeOffset? DeadlineAt,
    int StepAttempts)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static OrderSnapshot Of(OrderState saga, string state) => new(
        state, saga.CustomerId, saga.CustomerEmail, [.. saga.Lines], saga.Total, saga.Currency, saga.ShippingAddress, saga.FraudScore,
        saga.FraudReasons, saga.PaymentReference, saga.Carrier, saga.TrackingNumber, saga.FailureReason, saga.CancellationReason,
        saga.DeadlineAt, saga.StepAttempts);

    public static string Serialize(OrderState saga, string state) => JsonSerializer.Serialize(Of(saga, state), Json);
}

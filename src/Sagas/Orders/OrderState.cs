using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Sagas.Persistence;
using MassTransit;

namespace GlobalCommerce.Sagas.Orders;

public class OrderState : SagaStateMachineInstance, ISagaVersion, ISagaDeadline
{
    public Guid CorrelationId { get; set; }

    public int Version { get; set; }

    public string CurrentState { get; set; } = null!;

    public Guid CustomerId { get; set; }

    public string? CustomerEmail { get; set; }

    public List<OrderLine> Lines { get; set; } = [];

    public decimal Total { get; set; }

    public string Currency { get; set; } = null!;

    public ShippingAddress ShippingAddress { get; set; } = null!;

    // A gateway token (tok_...), never card data.
    public string PaymentToken { get; set; } = null!;

    public double? FraudScore { get; set; }

    // Why the fraud check scored the order as it did; support staff read it when reviewing a held order.
    public string? FraudReasons { get; set; }

    public string? PaymentReference { get; set; }

    public string? Carrier { get; set; }

    public string? TrackingNumber { get; set; }

    public string? FailureReason { get; set; }

    public string? CancellationReason { get; set; }

    public DateTimeOffset SubmittedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    // The durable deadline of the step the saga is waiting on; null in terminal states.
    public DateTimeOffset? DeadlineAt { get; set; }

    public int StepAttempts { get; set; }

    public List<OrderTransition> History { get; set; } = [];
}

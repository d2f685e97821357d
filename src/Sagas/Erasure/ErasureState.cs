using GlobalCommerce.Sagas.Persistence;
using MassTransit;

namespace GlobalCommerce.Sagas.Erasure;

// One customer's erasure. Holds ids only: the record that the erasure happened outlives the data it erased.
public class ErasureState : SagaStateMachineInstance, ISagaVersion, ISagaDeadline
{
    public Guid CorrelationId { get; set; }

    public int Version { get; set; }

    public string CurrentState { get; set; } = null!;

    public Guid CustomerId { get; set; }

    public List<Guid> OrderIds { get; set; } = [];

    public List<string> ConfirmedDomains { get; set; } = [];

    public DateTimeOffset RequestedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    // Null once completed or handed to support.
    public DateTimeOffset? DeadlineAt { get; set; }

    public int Attempts { get; set; }

    public string? FailureReason { get; set; }
}

using GlobalCommerce.Contracts.Fraud;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Contracts.Shipping;
using GlobalCommerce.Platform.Messaging;
using MassTransit;

namespace GlobalCommerce.Sagas.Orders;

// What a way out of a waiting state has to undo. The flags name the commands below; the saga sends exactly these.
[Flags]
public enum Compensation
{
    None = 0,
    ReleaseStock = 1,
    Refund = 2,
    CancelShipment = 4,
}

public sealed record CompensationCommand(Compensation Kind, string Command, Uri Queue, string Undoes)
{
    public static readonly IReadOnlyList<CompensationCommand> All =
    [
        new(Compensation.ReleaseStock, nameof(ReleaseInventory), QueueNames.ReleaseInventory, "puts the reserved stock back"),
        new(Compensation.Refund, nameof(RefundPayment), QueueNames.RefundPayment, "refunds the charge (voids the payment if nothing was charged)"),
        new(Compensation.CancelShipment, nameof(CancelShipment), QueueNames.CancelShipment, "cancels the label if one was created"),
    ];

    public static IReadOnlyList<CompensationCommand> For(Compensation compensation) =>
        [.. All.Where(command => compensation.HasFlag(command.Kind))];
}

// A step's deadline: how long one attempt may take, how many sends before the saga stops waiting, and what it does then.
public sealed record DeadlinePolicy(TimeSpan Timeout, int MaxAttempts, string WhenExhausted, State? ExhaustedInto = null);

// A failure path out of a waiting state: the event that takes it, and what it undoes on the way to Failed.
public sealed record FailurePath(Event Event, Compensation Undoes);

// One waiting state of the order saga: what ends the wait, the command the saga sent on entering it (and re-sends on
// a deadline or a staff retry) with its queue, the deadline policy, and what each way out undoes.
public sealed class WaitingStep
{
    public required State State { get; init; }

    public required string Step { get; init; }

    public required IReadOnlyList<Event> Replies { get; init; }

    public string? Command { get; init; }

    public Uri? Queue { get; init; }

    public required DeadlinePolicy Deadline { get; init; }

    public required Compensation OnCancel { get; init; }

    public required IReadOnlyList<FailurePath> Failures { get; init; }

    public string Name => State.Name;

    // The queue as MassTransit names its endpoint (the error queue is this plus "_error").
    public string? QueueName => Queue?.AbsolutePath;

    public Compensation Undoes(Event @event) =>
        Failures.FirstOrDefault(f => f.Event.Equals(@event))?.Undoes
        ?? throw new InvalidOperationException($"{Name} has no failure path for {@event.Name}: describe it in {nameof(OrderSagaShape)}");
}

// The order saga's shape, said once. OrderStateMachine is defined from it (its sends, deadlines and compensations read
// these entries); the support console and the order endpoints read the same entries instead of restating them.
public sealed class OrderSagaShape
{
    internal OrderSagaShape(OrderStateMachine machine, OrderSagaOptions options)
    {
        var m = machine;
        const string givesUp = "the saga gives up on the step and compensates (the order fails)";
        DeadlinePolicy Step(State state) => new(options.TimeoutFor(state.Name), options.MaxStepAttempts, givesUp);

        StockReservation = new WaitingStep
        {
            State = m.Pending,
            Step = "stock reservation",
            Replies = [m.InventoryReserved, m.InventoryReservationFailed],
            Command = nameof(ReserveInventory),
            Queue = QueueNames.ReserveInventory,
            Deadline = Step(m.Pending),
            OnCancel = Compensation.ReleaseStock,
            Failures =
            [
                new(m.InventoryReservationFailed, Compensation.None),
                new(m.ReserveInventoryFaulted, Compensation.ReleaseStock),
                new(m.DeadlineExpired, Compensation.ReleaseStock),
            ],
        };
        FraudCheck = new WaitingStep
        {
            State = m.AwaitingFraudCheck,
            Step = "fraud check",
            Replies = [m.FraudAssessed],
            Command = nameof(AssessFraud),
            Queue = QueueNames.AssessFraud,
            Deadline = Step(m.AwaitingFraudCheck),
            OnCancel = Compensation.ReleaseStock,
            Failures =
            [
                new(m.FraudAssessed, Compensation.ReleaseStock),
                new(m.AssessFraudFaulted, Compensation.ReleaseStock),
                new(m.DeadlineExpired, Compensation.ReleaseStock),
            ],
        };
        FraudReview = new WaitingStep
        {
            State = m.AwaitingFraudReview,
            Step = "manual fraud review",
            Replies = [m.ApproveOrder, m.RejectOrder],
            Deadline = new DeadlinePolicy(options.FraudReviewTimeout, 1, "the order is rejected and its stock released"),
            OnCancel = Compensation.ReleaseStock,
            Failures =
            [
                new(m.RejectOrder, Compensation.ReleaseStock),
                new(m.DeadlineExpired, Compensation.ReleaseStock),
            ],
        };
        Payment = new WaitingStep
        {
            State = m.AwaitingPayment,
            Step = "payment",
            Replies = [m.PaymentCompleted, m.PaymentDeclined],
            Command = nameof(ChargePayment),
            Queue = QueueNames.ChargePayment,
            // Out of attempts the outcome is still unknown: the gateway is asked before anything is undone.
            Deadline = Step(m.AwaitingPayment) with
            {
                WhenExhausted = $"the saga asks the gateway what happened to the charge ({m.VerifyingPayment.Name})",
                ExhaustedInto = m.VerifyingPayment,
            },
            OnCancel = Compensation.ReleaseStock | Compensation.Refund,
            Failures =
            [
                new(m.PaymentDeclined, Compensation.ReleaseStock),
                // A fault says nothing about whether the gateway charged: refund to be sure (a no-op without a charge).
                new(m.ChargePaymentFaulted, Compensation.ReleaseStock | Compensation.Refund),
            ],
        };
        PaymentVerification = new WaitingStep
        {
            State = m.VerifyingPayment,
            Step = "payment verification",
            Replies = [m.PaymentCompleted, m.PaymentDeclined, m.PaymentNotCharged],
            Command = nameof(CheckPayment),
            Queue = QueueNames.CheckPayment,
            Deadline = Step(m.VerifyingPayment),
            OnCancel = Compensation.ReleaseStock | Compensation.Refund,
            Failures =
            [
                new(m.PaymentDeclined, Compensation.ReleaseStock),
                // The payments domain voided the payment before saying so: a charge landing later is refunded there.
                new(m.PaymentNotCharged, Compensation.ReleaseStock),
                new(m.ChargePaymentFaulted, Compensation.ReleaseStock | Compensation.Refund),
                // The gateway stays silent: compensate blind. The refund voids the payment, or refunds a charge found later.
                new(m.DeadlineExpired, Compensation.ReleaseStock | Compensation.Refund),
            ],
        };
        Shipment = new WaitingStep
        {
            State = m.Confirmed,
            Step = "shipment",
            Replies = [m.ShipmentCreated],
            Command = nameof(CreateShipment),
            Queue = QueueNames.CreateShipment,
            Deadline = Step(m.Confirmed),
            OnCancel = Compensation.ReleaseStock | Compensation.Refund | Compensation.CancelShipment,
            Failures =
            [
                new(m.CreateShipmentFaulted, Compensation.ReleaseStock | Compensation.Refund | Compensation.CancelShipment),
                new(m.DeadlineExpired, Compensation.ReleaseStock | Compensation.Refund | Compensation.CancelShipment),
            ],
        };

        Waiting = [StockReservation, FraudCheck, FraudReview, Payment, PaymentVerification, Shipment];
        Terminal = [m.Completed, m.Failed, m.Cancelled, m.Final];
        var sagaQueue = EndpointNames.Saga<OrderState>();
        AwaitedQueues = Waiting.Where(step => step.QueueName is not null)
            .ToDictionary(step => step.Name, IReadOnlyList<string> (step) => [step.QueueName!, sagaQueue]);
    }

    public WaitingStep StockReservation { get; }

    public WaitingStep FraudCheck { get; }

    public WaitingStep FraudReview { get; }

    public WaitingStep Payment { get; }

    public WaitingStep PaymentVerification { get; }

    public WaitingStep Shipment { get; }

    public IReadOnlyList<WaitingStep> Waiting { get; }

    public IReadOnlyList<State> Terminal { get; }

    // Per waiting state that sent a command, the queues its reply passes through: the command's, then the saga's own. A
    // backlog in either delays the reply with nothing wrong, so the deadline sweeper postpones the state's deadlines by
    // their observed wait. The fraud review waits on a person, not a queue: its deadline is never postponed.
    public IReadOnlyDictionary<string, IReadOnlyList<string>> AwaitedQueues { get; }

    public WaitingStep? Of(string state) => Waiting.FirstOrDefault(step => step.Name == state);

    public bool IsTerminal(string state) => Terminal.Any(t => t.Name == state);
}

using GlobalCommerce.Contracts.Fraud;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Contracts.Shipping;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Platform.Streams;
using System.Text.Json;
using MassTransit;
using Facts = GlobalCommerce.Contracts.Streams;

namespace GlobalCommerce.Sagas.Orders;

// Flow 3 of the founding document: reserve stock, assess fraud, charge, confirm, ship, complete; compensate on
// every failure. Each waiting state carries a durable deadline (DeadlineAt) that the worker's sweeper turns into
// OrderDeadlineExpired: the saga re-sends the pending command up to MaxStepAttempts times, then compensates (a charge
// nobody answered is first checked with the gateway, in VerifyingPayment, so money is never undone on a guess).
// The lifecycle facts (created, confirmed, failed, cancelled, completed) go to order-events, keyed by the order id,
// with the transition that makes them true: one more row in the transaction that saves the saga. Services downstream
// react to them there (the founding document's order flow, step 9): the notifications group tells the customer of the
// confirmed and the completed order, so no bus event repeats them.
public sealed class OrderStateMachine : MassTransitStateMachine<OrderState>
{
    readonly OrderSagaOptions _options;
    readonly TimeProvider _clock;

    public OrderStateMachine(OrderSagaOptions options, TimeProvider clock)
    {
        _options = options;
        _clock = clock;

        InstanceState(s => s.CurrentState);
        ConnectStateObserver(new TransitionRecorder(clock));

        Event(() => SubmitOrder, e => e.CorrelateById(c => c.Message.OrderId));
        Event(() => CancelOrder, e => { e.CorrelateById(c => c.Message.OrderId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => RetryOrderStep, e => { e.CorrelateById(c => c.Message.OrderId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => ApproveOrder, e => { e.CorrelateById(c => c.Message.OrderId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => RejectOrder, e => { e.CorrelateById(c => c.Message.OrderId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => DeadlineExpired, e => { e.CorrelateById(c => c.Message.OrderId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => InventoryReserved, e => { e.CorrelateById(c => c.Message.OrderId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => InventoryReservationFailed, e => { e.CorrelateById(c => c.Message.OrderId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => FraudAssessed, e => { e.CorrelateById(c => c.Message.OrderId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => PaymentCompleted, e => { e.CorrelateById(c => c.Message.OrderId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => PaymentDeclined, e => { e.CorrelateById(c => c.Message.OrderId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => PaymentNotCharged, e => { e.CorrelateById(c => c.Message.OrderId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => ShipmentCreated, e => { e.CorrelateById(c => c.Message.OrderId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => ReserveInventoryFaulted, e => { e.CorrelateById(c => c.Message.Message.OrderId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => AssessFraudFaulted, e => { e.CorrelateById(c => c.Message.Message.OrderId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => ChargePaymentFaulted, e => { e.CorrelateById(c => c.Message.Message.OrderId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => CreateShipmentFaulted, e => { e.CorrelateById(c => c.Message.Message.OrderId); e.OnMissingInstance(m => m.Discard()); });

        // Redelivered and late messages for a step already passed are expected; they change nothing.
        OnUnhandledEvent(context => context.Ignore());

        Shape = new OrderSagaShape(this, options);
        var (reservation, fraudCheck, review, payment, verification, shipment) =
            (Shape.StockReservation, Shape.FraudCheck, Shape.FraudReview, Shape.Payment, Shape.PaymentVerification, Shape.Shipment);

        Initially(
            When(SubmitOrder)
                .Then(context => Accept(context.Saga, context.Message))
                .Then(context => ArmDeadline(context.Saga, reservation))
                .Send(reservation.Queue!, context => Reserve(context.Saga))
                .Produce(context => Created(context.Saga), OrderKey)
                .TransitionTo(Pending));

        During(reservation.State,
            When(InventoryReserved)
                .Then(context => ArmDeadline(context.Saga, fraudCheck))
                .Send(fraudCheck.Queue!, context => Assess(context.Saga))
                .TransitionTo(fraudCheck.State),
            Fail(reservation, When(InventoryReservationFailed), context => $"Stock unavailable: {context.Message.Reason}"),
            Fail(reservation, When(ReserveInventoryFaulted), context => $"Stock reservation faulted: {FaultText(context.Message)}"),
            RetryOnDeadline(reservation, Reserve),
            FailOnDeadline(reservation, "Stock reservation timed out"),
            RetryOnRequest(reservation, Reserve),
            Cancel(reservation));

        During(fraudCheck.State,
            When(FraudAssessed, context => context.Message.Score < Math.Min(_options.ReviewThreshold, _options.FraudThreshold))
                .Then(context => Assessed(context.Saga, context.Message))
                .Then(context => ArmDeadline(context.Saga, payment))
                .Send(payment.Queue!, context => Charge(context.Saga))
                .TransitionTo(payment.State),
            // Neither clearly good nor clearly bad: a person decides. The stock stays reserved meanwhile.
            When(FraudAssessed, context => context.Message.Score >= _options.ReviewThreshold && context.Message.Score < _options.FraudThreshold)
                .Then(context =>
                {
                    Assessed(context.Saga, context.Message);
                    context.Saga.StepAttempts = 1;
                    context.Saga.DeadlineAt = NextDeadline(review.Deadline.Timeout);
                })
                .TransitionTo(review.State),
            Fail(fraudCheck, When(FraudAssessed, context => context.Message.Score >= _options.FraudThreshold)
                    .Then(context => Assessed(context.Saga, context.Message)),
                context => $"Rejected by fraud check (score {context.Message.Score:0.00}: {string.Join("; ", context.Message.Reasons)})"),
            Fail(fraudCheck, When(AssessFraudFaulted), context => $"Fraud check faulted: {FaultText(context.Message)}"),
            RetryOnDeadline(fraudCheck, Assess),
            FailOnDeadline(fraudCheck, "Fraud check timed out"),
            RetryOnRequest(fraudCheck, Assess),
            Cancel(fraudCheck));

        During(review.State,
            When(ApproveOrder)
                .Then(context => ArmDeadline(context.Saga, payment))
                .Send(payment.Queue!, context => Charge(context.Saga))
                .TransitionTo(payment.State),
            Fail(review, When(RejectOrder), context => $"Rejected in fraud review: {context.Message.Reason} (by {context.Message.RequestedBy})"),
            Fail(review, When(DeadlineExpired, IsPending), _ => $"Fraud review not done within {review.Deadline.Timeout}"),
            Cancel(review));

        During(payment.State,
            Confirm(When(PaymentCompleted)),
            Fail(payment, When(PaymentDeclined), context => $"Payment declined: {context.Message.Reason}"),
            Fail(payment, When(ChargePaymentFaulted), context => $"Payment faulted: {FaultText(context.Message)}"),
            RetryOnDeadline(payment, Charge),
            When(DeadlineExpired, context => IsPending(context) && context.Saga.StepAttempts >= payment.Deadline.MaxAttempts)
                .Then(context =>
                {
                    context.Saga.History.Add(Step(context, nameof(DeadlineExpired),
                        $"No payment outcome after {payment.Deadline.MaxAttempts} attempts; asking the gateway before compensating"));
                    ArmDeadline(context.Saga, verification);
                })
                .Send(verification.Queue!, context => Verify(context.Saga))
                .TransitionTo(payment.Deadline.ExhaustedInto!),
            RetryOnRequest(payment, Charge),
            Cancel(payment));

        During(verification.State,
            Confirm(When(PaymentCompleted)),
            Fail(verification, When(PaymentDeclined), context => $"Payment declined: {context.Message.Reason}"),
            Fail(verification, When(PaymentNotCharged), _ => "Payment timed out: the gateway holds no charge for the order"),
            Fail(verification, When(ChargePaymentFaulted), context => $"Payment faulted: {FaultText(context.Message)}"),
            RetryOnDeadline(verification, Verify),
            FailOnDeadline(verification, "Payment outcome unknown"),
            RetryOnRequest(verification, Verify),
            Cancel(verification));

        During(shipment.State,
            When(ShipmentCreated)
                .Then(context =>
                {
                    context.Saga.Carrier = context.Message.Carrier;
                    context.Saga.TrackingNumber = context.Message.TrackingNumber;
                    context.Saga.DeadlineAt = null;
                })
                .Produce(context => new Facts.OrderCompleted
                {
                    OrderId = context.Saga.CorrelationId,
                    CustomerId = context.Saga.CustomerId,
                    TrackingNumber = context.Message.TrackingNumber,
                    CompletedAt = _clock.GetUtcNow(),
                }, OrderKey)
                .TransitionTo(Completed),
            Fail(shipment, When(CreateShipmentFaulted), context => $"Shipment faulted: {FaultText(context.Message)}"),
            RetryOnDeadline(shipment, Ship),
            FailOnDeadline(shipment, "Shipment timed out"),
            RetryOnRequest(shipment, Ship),
            Cancel(shipment));

        // Replies that arrive after the order failed or was cancelled must not leave stock held, money taken or a parcel labelled.
        During(Failed, Cancelled,
            When(InventoryReserved)
                .Send(QueueNames.ReleaseInventory, context => Release(context.Saga, "Reserved after the order ended")),
            When(PaymentCompleted)
                .Send(QueueNames.RefundPayment, context => Refund(context.Saga, "Charged after the order ended")),
            When(ShipmentCreated)
                .Send(QueueNames.CancelShipment, context => new CancelShipment { OrderId = context.Saga.CorrelationId, Reason = "Order ended" }));
    }

    // Names that do not depend on options, for code that has no machine of its own (the order endpoints).
    static readonly Lazy<OrderStateMachine> Reference = new(() => new OrderStateMachine(new OrderSagaOptions(), TimeProvider.System));

    public static IReadOnlyList<string> TerminalStateNames => Reference.Value.TerminalNames;

    public static string CompletedStateName => Reference.Value.Completed.Name;

    public OrderSagaShape Shape { get; }

    public IReadOnlyList<State> TerminalStates => Shape.Terminal;

    IReadOnlyList<string> TerminalNames => field ??= [.. Shape.Terminal.Select(state => state.Name)];

    public IReadOnlyList<StateTransition> Transitions => field ??= StateMachineTransitions.Of(this);

    public State Pending { get; private set; } = null!;
    public State AwaitingFraudCheck { get; private set; } = null!;
    public State AwaitingFraudReview { get; private set; } = null!;
    public State AwaitingPayment { get; private set; } = null!;
    public State VerifyingPayment { get; private set; } = null!;
    public State Confirmed { get; private set; } = null!;
    public State Completed { get; private set; } = null!;
    public State Failed { get; private set; } = null!;
    public State Cancelled { get; private set; } = null!;

    public Event<SubmitOrder> SubmitOrder { get; private set; } = null!;
    public Event<CancelOrder> CancelOrder { get; private set; } = null!;
    public Event<RetryOrderStep> RetryOrderStep { get; private set; } = null!;
    public Event<ApproveOrder> ApproveOrder { get; private set; } = null!;
    public Event<RejectOrder> RejectOrder { get; private set; } = null!;
    public Event<OrderDeadlineExpired> DeadlineExpired { get; private set; } = null!;
    public Event<InventoryReserved> InventoryReserved { get; private set; } = null!;
    public Event<InventoryReservationFailed> InventoryReservationFailed { get; private set; } = null!;
    public Event<FraudAssessed> FraudAssessed { get; private set; } = null!;
    public Event<PaymentCompleted> PaymentCompleted { get; private set; } = null!;
    public Event<PaymentDeclined> PaymentDeclined { get; private set; } = null!;
    public Event<PaymentNotCharged> PaymentNotCharged { get; private set; } = null!;
    public Event<ShipmentCreated> ShipmentCreated { get; private set; } = null!;
    public Event<Fault<ReserveInventory>> ReserveInventoryFaulted { get; private set; } = null!;
    public Event<Fault<AssessFraud>> AssessFraudFaulted { get; private set; } = null!;
    public Event<Fault<ChargePayment>> ChargePaymentFaulted { get; private set; } = null!;
    public Event<Fault<CreateShipment>> CreateShipmentFaulted { get; private set; } = null!;

    EventActivityBinder<OrderState, T> Fail<T>(WaitingStep step, EventActivityBinder<OrderState, T> binder,
        Func<BehaviorContext<OrderState, T>, string> reason)
        where T : class =>
        Compensate(binder.Then(context =>
            {
                context.Saga.FailureReason = reason(context);
                context.Saga.DeadlineAt = null;
            }), step.Undoes(binder.Event), "Order failed")
            .Publish(context => new OrderFailed
            {
                OrderId = context.Saga.CorrelationId,
                Reason = context.Saga.FailureReason!,
                FailedAt = _clock.GetUtcNow(),
            })
            .Produce(context => new Facts.OrderFailed
            {
                OrderId = context.Saga.CorrelationId,
                Step = context.Saga.CurrentState,
                Reason = binder.Event.Name,
                FailedAt = _clock.GetUtcNow(),
            }, OrderKey)
            .TransitionTo(Failed);

    EventActivityBinder<OrderState, PaymentCompleted> Confirm(EventActivityBinder<OrderState, PaymentCompleted> binder) =>
        binder
            .Then(context => context.Saga.PaymentReference = context.Message.GatewayReference)
            .Then(context => ArmDeadline(context.Saga, Shape.Shipment))
            .Send(QueueNames.CommitInventory, context => new CommitInventory { OrderId = context.Saga.CorrelationId })
            .Produce(context => new Facts.OrderConfirmed
            {
                OrderId = context.Saga.CorrelationId,
                CustomerId = context.Saga.CustomerId,
                Total = context.Saga.Total,
                Currency = context.Saga.Currency,
                ConfirmedAt = _clock.GetUtcNow(),
            }, OrderKey)
            .Send(Shape.Shipment.Queue!, context => Ship(context.Saga))
            .TransitionTo(Shape.Shipment.State);

    EventActivityBinder<OrderState, CancelOrder> Cancel(WaitingStep step) =>
        Compensate(When(CancelOrder).Then(context =>
            {
                context.Saga.CancellationReason = $"{context.Message.Reason} (by {context.Message.RequestedBy})";
                context.Saga.DeadlineAt = null;
            }), step.OnCancel, "Order cancelled")
            .Publish(context => new OrderCancelled
            {
                OrderId = context.Saga.CorrelationId,
                Reason = context.Message.Reason,
                CancelledAt = _clock.GetUtcNow(),
            })
            .Produce(context => new Facts.OrderCancelled { OrderId = context.Saga.CorrelationId, Step = context.Saga.CurrentState, CancelledAt = _clock.GetUtcNow() },
                OrderKey)
            .TransitionTo(Cancelled);

    EventActivityBinder<OrderState, OrderDeadlineExpired> RetryOnDeadline<TCommand>(WaitingStep step, Func<OrderState, TCommand> command)
        where TCommand : class =>
        When(DeadlineExpired, context => IsPending(context) && context.Saga.StepAttempts < step.Deadline.MaxAttempts)
            .Then(context =>
            {
                context.Saga.StepAttempts++;
                context.Saga.DeadlineAt = NextDeadline(step.Deadline.Timeout);
                context.Saga.History.Add(Step(context, nameof(DeadlineExpired),
                    $"Deadline passed; sent {typeof(TCommand).Name} again (attempt {context.Saga.StepAttempts} of {step.Deadline.MaxAttempts})"));
            })
            .Send(step.Queue!, context => command(context.Saga));

    // Support staff asked for the step again: a fresh set of attempts and deadlines, and the command once more.
    EventActivityBinder<OrderState, RetryOrderStep> RetryOnRequest<TCommand>(WaitingStep step, Func<OrderState, TCommand> command)
        where TCommand : class =>
        When(RetryOrderStep)
            .Then(context =>
            {
                ArmDeadline(context.Saga, step);
                context.Saga.History.Add(Step(context, nameof(RetryOrderStep),
                    $"Sent {typeof(TCommand).Name} again at the request of {context.Message.RequestedBy}: {context.Message.Reason}"));
            })
            .Send(step.Queue!, context => command(context.Saga));

    OrderTransition Step<T>(BehaviorContext<OrderState, T> context, string eventName, string detail)
        where T : class => new()
    {
        OrderId = context.Saga.CorrelationId,
        From = context.Saga.CurrentState,
        To = context.Saga.CurrentState,
        Event = eventName,
        At = _clock.GetUtcNow(),
        MessageId = context.MessageId,
        Detail = detail,
        Message = JsonSerializer.Serialize(context.Message, OrderSnapshot.Json),
        Snapshot = OrderSnapshot.Serialize(context.Saga, context.Saga.CurrentState),
    };

    EventActivityBinder<OrderState, OrderDeadlineExpired> FailOnDeadline(WaitingStep step, string reason) =>
        Fail(step, When(DeadlineExpired, context => IsPending(context) && context.Saga.StepAttempts >= step.Deadline.MaxAttempts),
            _ => $"{reason} after {step.Deadline.MaxAttempts} attempts");

    static bool IsPending(BehaviorContext<OrderState, OrderDeadlineExpired> context) =>
        context.Saga.DeadlineAt is { } deadline && deadline == context.Message.DeadlineAt;

    static EventActivityBinder<OrderState, T> Compensate<T>(EventActivityBinder<OrderState, T> binder, Compensation compensation, string why)
        where T : class
    {
        foreach (var undo in CompensationCommand.For(compensation))
        {
            binder = undo.Kind switch
            {
                Compensation.ReleaseStock => binder.Send(undo.Queue, context => Release(context.Saga, why)),
                Compensation.Refund => binder.Send(undo.Queue, context => Refund(context.Saga, why)),
                Compensation.CancelShipment => binder.Send(undo.Queue, context => new CancelShipment { OrderId = context.Saga.CorrelationId, Reason = why }),
                _ => throw new InvalidOperationException($"No command undoes {undo.Kind}"),
            };
        }

        return binder;
    }

    void Accept(OrderState saga, SubmitOrder order)
    {
        saga.CustomerId = order.CustomerId;
        saga.CustomerEmail = order.CustomerEmail;
        saga.Lines = [.. order.Lines];
        saga.Total = order.Total;
        saga.Currency = order.Currency;
        saga.ShippingAddress = order.ShippingAddress;
        saga.PaymentToken = order.PaymentToken;
        saga.SubmittedAt = order.SubmittedAt;
        saga.UpdatedAt = _clock.GetUtcNow();
    }

    static void Assessed(OrderState saga, FraudAssessed assessment)
    {
        saga.FraudScore = assessment.Score;
        saga.FraudReasons = assessment.Reasons.Count == 0 ? null : string.Join("; ", assessment.Reasons);
    }

    void ArmDeadline(OrderState saga, WaitingStep step)
    {
        saga.StepAttempts = 1;
        saga.DeadlineAt = NextDeadline(step.Deadline.Timeout);
    }

    // Millisecond precision survives every store (PostgreSQL keeps microseconds), so the sweeper's copy compares equal.
    DateTimeOffset NextDeadline(TimeSpan timeout)
    {
        var at = _clock.GetUtcNow() + timeout;
        return new DateTimeOffset(at.UtcTicks - at.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
    }

    static string FaultText<T>(Fault<T> fault) =>
        fault.Exceptions.FirstOrDefault() is { } exception ? $"{exception.ExceptionType}: {exception.Message}" : "unknown error";

    static ReserveInventory Reserve(OrderState saga) => new()
    {
        OrderId = saga.CorrelationId,
        Lines = [.. saga.Lines.Select(line => new StockLine { ProductId = line.ProductId, Quantity = line.Quantity })],
    };

    static AssessFraud Assess(OrderState saga) => new()
    {
        OrderId = saga.CorrelationId,
        CustomerId = saga.CustomerId,
        Total = saga.Total,
        Currency = saga.Currency,
        ItemCount = saga.Lines.Sum(line => line.Quantity),
        ShippingCountry = saga.ShippingAddress.Country,
        PaymentToken = saga.PaymentToken,
    };

    static ChargePayment Charge(OrderState saga) => new()
    {
        OrderId = saga.CorrelationId,
        Amount = saga.Total,
        Currency = saga.Currency,
        PaymentToken = saga.PaymentToken,
    };

    static CreateShipment Ship(OrderState saga) => new()
    {
        OrderId = saga.CorrelationId,
        Address = saga.ShippingAddress,
        ItemCount = saga.Lines.Sum(line => line.Quantity),
    };

    Facts.OrderCreated Created(OrderState saga) => new()
    {
        OrderId = saga.CorrelationId,
        CustomerId = saga.CustomerId,
        Total = saga.Total,
        Currency = saga.Currency,
        LineCount = saga.Lines.Count,
        ItemCount = saga.Lines.Sum(line => line.Quantity),
        SubmittedAt = saga.SubmittedAt,
        CreatedAt = _clock.GetUtcNow(),
    };

    static string OrderKey<T>(BehaviorContext<OrderState, T> context)
        where T : class => context.Saga.CorrelationId.ToString();

    static CheckPayment Verify(OrderState saga) => new() { OrderId = saga.CorrelationId };

    static ReleaseInventory Release(OrderState saga, string reason) => new() { OrderId = saga.CorrelationId, Reason = reason };

    static RefundPayment Refund(OrderState saga, string reason) => new() { OrderId = saga.CorrelationId, Reason = reason };

    sealed class TransitionRecorder(TimeProvider clock) : IStateObserver<OrderState>
    {
        public Task StateChanged(BehaviorContext<OrderState> context, State currentState, State previousState)
        {
            // A new instance is first put into Initial with no previous state: that is creation, not a transition.
            if (previousState is null)
                return Task.CompletedTask;

            var now = clock.GetUtcNow();
            // Initial has no entry time of its own: an order waits in it from the API's acceptance until the saga takes it up.
            var enteredAt = previousState.Equals(context.StateMachine.Initial) ? context.Saga.SubmittedAt : context.Saga.UpdatedAt;
            OrderMetrics.RecordStep(previousState.Name, currentState.Name, now - enteredAt);
            context.Saga.UpdatedAt = now;
            context.Saga.History.Add(new OrderTransition
            {
                OrderId = context.Saga.CorrelationId,
                From = previousState.Name,
                To = currentState.Name,
                Event = context.Event.Name,
                At = now,
                MessageId = context.MessageId,
                Detail = context.Saga.FailureReason ?? context.Saga.CancellationReason ?? StaffDetail(context),
                Message = MessageJson(context),
                Snapshot = OrderSnapshot.Serialize(context.Saga, currentState.Name),
            });
            return Task.CompletedTask;
        }

        static string? StaffDetail(BehaviorContext<OrderState> context) =>
            context.TryGetMessage<ApproveOrder>(out var approve) ? $"Approved in fraud review: {approve.Message.Reason} (by {approve.Message.RequestedBy})"
            : null;

        // The observer sees the untyped context; the typed message sits behind the ConsumeContext<T> it also implements.
        static string? MessageJson(BehaviorContext<OrderState> context)
        {
            var typed = context.GetType().GetInterfaces()
                .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(ConsumeContext<>));
            var message = typed?.GetProperty(nameof(ConsumeContext<object>.Message))?.GetValue(context);
            return message is null ? null : JsonSerializer.Serialize(message, message.GetType(), OrderSnapshot.Json);
        }
    }
}

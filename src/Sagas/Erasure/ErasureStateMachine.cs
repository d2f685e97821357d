using GlobalCommerce.Contracts.Erasure;
using GlobalCommerce.Contracts.Identity;
using GlobalCommerce.Contracts.Notifications;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Contracts.Shipping;
using GlobalCommerce.Platform.Messaging;
using MassTransit;

namespace GlobalCommerce.Sagas.Erasure;

// The right to erasure (DELETE /api/me): one command to every domain that holds personal data, one confirmation
// back from each. Completed only when all have confirmed. A durable deadline (DeadlineAt, swept by the worker)
// re-sends the unconfirmed commands up to MaxAttempts times, then hands the erasure to support (NeedsAttention);
// a confirmation arriving after that still completes it.
public sealed class ErasureStateMachine : MassTransitStateMachine<ErasureState>
{
    readonly ErasureSagaOptions _options;
    readonly TimeProvider _clock;

    public ErasureStateMachine(ErasureSagaOptions options, TimeProvider clock)
    {
        _options = options;
        _clock = clock;

        InstanceState(s => s.CurrentState);

        Event(() => EraseCustomer, e => e.CorrelateById(c => c.Message.ErasureId));
        Event(() => DataErased, e => { e.CorrelateById(c => c.Message.ErasureId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => DeadlineExpired, e => { e.CorrelateById(c => c.Message.ErasureId); e.OnMissingInstance(m => m.Discard()); });

        // A second EraseCustomer, a redelivered confirmation after completion, a stale deadline: nothing to do.
        OnUnhandledEvent(context => context.Ignore());

        Initially(
            SendUnconfirmed(When(EraseCustomer)
                .Then(context =>
                {
                    var saga = context.Saga;
                    saga.CustomerId = context.Message.CustomerId;
                    saga.OrderIds = [.. context.Message.OrderIds];
                    saga.RequestedAt = context.Message.RequestedAt;
                    saga.UpdatedAt = _clock.GetUtcNow();
                    saga.Attempts = 1;
                    saga.DeadlineAt = NextDeadline();
                }))
                .TransitionTo(Erasing));

        During(Erasing, NeedsAttention,
            When(DataErased, context => IsNew(context) && CompletesWith(context))
                .Then(context =>
                {
                    Confirm(context);
                    context.Saga.DeadlineAt = null;
                    context.Saga.CompletedAt = context.Saga.UpdatedAt;
                    context.Saga.FailureReason = null;
                })
                .Publish(context => new CustomerErased
                {
                    ErasureId = context.Saga.CorrelationId,
                    CustomerId = context.Saga.CustomerId,
                    CompletedAt = context.Saga.CompletedAt!.Value,
                })
                .TransitionTo(Completed),
            When(DataErased, context => IsNew(context) && !CompletesWith(context))
                .Then(Confirm));

        During(Erasing,
            SendUnconfirmed(When(DeadlineExpired, context => IsPending(context) && context.Saga.Attempts < _options.MaxAttempts)
                .Then(context =>
                {
                    context.Saga.Attempts++;
                    context.Saga.DeadlineAt = NextDeadline();
                    context.Saga.UpdatedAt = _clock.GetUtcNow();
                })),
            When(DeadlineExpired, context => IsPending(context) && context.Saga.Attempts >= _options.MaxAttempts)
                .Then(context =>
                {
                    context.Saga.DeadlineAt = null;
                    context.Saga.UpdatedAt = _clock.GetUtcNow();
                    context.Saga.FailureReason =
                        $"No confirmation from {string.Join(", ", Unconfirmed(context.Saga))} after {_options.MaxAttempts} attempts";
                })
                .Publish(context => new ErasureNeedsAttention
                {
                    ErasureId = context.Saga.CorrelationId,
                    CustomerId = context.Saga.CustomerId,
                    UnconfirmedDomains = Unconfirmed(context.Saga),
                    At = context.Saga.UpdatedAt,
                })
                .TransitionTo(NeedsAttention));
    }

    public State Erasing { get; private set; } = null!;
    public State Completed { get; private set; } = null!;
    public State NeedsAttention { get; private set; } = null!;

    public Event<EraseCustomer> EraseCustomer { get; private set; } = null!;
    public Event<CustomerDataErased> DataErased { get; private set; } = null!;
    public Event<ErasureDeadlineExpired> DeadlineExpired { get; private set; } = null!;

    public static IReadOnlyList<string> Unconfirmed(ErasureState saga) =>
        [.. ErasureDomains.All.Where(domain => !saga.ConfirmedDomains.Contains(domain))];

    static EventActivityBinder<ErasureState, T> SendUnconfirmed<T>(EventActivityBinder<ErasureState, T> binder)
        where T : class =>
        binder
            .If(context => Awaits(context.Saga, ErasureDomains.Orders), b => b.Send(QueueNames.EraseOrderData, context => new EraseOrderData
            {
                ErasureId = context.Saga.CorrelationId, CustomerId = context.Saga.CustomerId, OrderIds = context.Saga.OrderIds,
            }))
            .If(context => Awaits(context.Saga, ErasureDomains.Payments), b => b.Send(QueueNames.ErasePaymentData, context => new ErasePaymentData
            {
                ErasureId = context.Saga.CorrelationId, CustomerId = context.Saga.CustomerId, OrderIds = context.Saga.OrderIds,
            }))
            .If(context => Awaits(context.Saga, ErasureDomains.Shipping), b => b.Send(QueueNames.EraseShippingData, context => new EraseShippingData
            {
                ErasureId = context.Saga.CorrelationId, CustomerId = context.Saga.CustomerId, OrderIds = context.Saga.OrderIds,
            }))
            .If(context => Awaits(context.Saga, ErasureDomains.Notifications), b => b.Send(QueueNames.EraseNotificationData, context => new EraseNotificationData
            {
                ErasureId = context.Saga.CorrelationId, CustomerId = context.Saga.CustomerId, OrderIds = context.Saga.OrderIds,
            }))
            .If(context => Awaits(context.Saga, ErasureDomains.Identity), b => b.Send(QueueNames.EraseAccount, context => new EraseAccount
            {
                ErasureId = context.Saga.CorrelationId, CustomerId = context.Saga.CustomerId,
            }));

    static bool Awaits(ErasureState saga, string domain) => !saga.ConfirmedDomains.Contains(domain);

    static bool IsNew(BehaviorContext<ErasureState, CustomerDataErased> context) =>
        ErasureDomains.All.Contains(context.Message.Domain) && !context.Saga.ConfirmedDomains.Contains(context.Message.Domain);

    static bool CompletesWith(BehaviorContext<ErasureState, CustomerDataErased> context) =>
        ErasureDomains.All.All(domain => domain == context.Message.Domain || context.Saga.ConfirmedDomains.Contains(domain));

    void Confirm(BehaviorContext<ErasureState, CustomerDataErased> context)
    {
        context.Saga.ConfirmedDomains.Add(context.Message.Domain);
        context.Saga.UpdatedAt = _clock.GetUtcNow();
    }

    static bool IsPending(BehaviorContext<ErasureState, ErasureDeadlineExpired> context) =>
        context.Saga.DeadlineAt is { } deadline && deadline == context.Message.DeadlineAt;

    // Millisecond precision survives every store, so the sweeper's copy compares equal (as for orders).
    DateTimeOffset NextDeadline()
    {
        var at = _clock.GetUtcNow() + _options.ConfirmationTimeout;
        return new DateTimeOffset(at.UtcTicks - at.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
    }
}

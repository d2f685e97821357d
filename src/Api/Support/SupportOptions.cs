using GlobalCommerce.Sagas.Orders;

namespace GlobalCommerce.Api.Support;

public sealed class SupportOptions
{
    public const string Section = "Commerce:Support";

    // A cancellation that refunds more than this (in the order's currency) needs the admin role.
    public decimal RefundApprovalLimit { get; set; } = 500m;

    // How long an order may sit in a state before the worklist shows it; states not listed are never listed. Keyed by
    // the machine's state properties, whose names MassTransit gives the states.
    public Dictionary<string, TimeSpan> StateAgeLimits { get; set; } = new(StringComparer.Ordinal)
    {
        [nameof(OrderStateMachine.Pending)] = TimeSpan.FromMinutes(2),
        [nameof(OrderStateMachine.AwaitingFraudCheck)] = TimeSpan.FromMinutes(2),
        [nameof(OrderStateMachine.AwaitingFraudReview)] = TimeSpan.FromMinutes(30),
        [nameof(OrderStateMachine.AwaitingPayment)] = TimeSpan.FromMinutes(5),
        [nameof(OrderStateMachine.VerifyingPayment)] = TimeSpan.FromMinutes(5),
        [nameof(OrderStateMachine.Confirmed)] = TimeSpan.FromMinutes(10),
    };

    // How often the worklist refreshes itself in the browser.
    public TimeSpan WorklistRefresh { get; set; } = TimeSpan.FromSeconds(5);
}

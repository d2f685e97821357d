using GlobalCommerce.Sagas.Orders;
using MassTransit;

namespace GlobalCommerce.Api.Support;

// What the console knows about the saga's shape: the state machine's own states, the transitions between them, and
// what each waiting state waits for.
public sealed class OrderStateMachineModel
{
    public OrderStateMachineModel(OrderSagaOptions options)
    {
        Options = options;
        var machine = new OrderStateMachine(options, TimeProvider.System);
        States = [.. machine.States.Select(state => state.Name)];
        // MassTransit's graph shares one vertex per event across states, so it cannot say which state an event leads
        // from; the transitions are listed here (as in the README's diagram) and kept to the machine's own states.
        Transitions = [.. KnownTransitions.Where(t => (t.From == "Initial" || States.Contains(t.From)) && States.Contains(t.To))];
    }

    static readonly (string From, string To)[] KnownTransitions =
    [
        ("Initial", "Pending"), ("Pending", "AwaitingFraudCheck"), ("AwaitingFraudCheck", "AwaitingPayment"),
        ("AwaitingFraudCheck", "AwaitingFraudReview"), ("AwaitingFraudReview", "AwaitingPayment"), ("AwaitingPayment", "Confirmed"),
        ("AwaitingPayment", "VerifyingPayment"), ("VerifyingPayment", "Confirmed"), ("Confirmed", "Completed"),
        ("Pending", "Failed"), ("AwaitingFraudCheck", "Failed"), ("AwaitingFraudReview", "Failed"), ("AwaitingPayment", "Failed"),
        ("VerifyingPayment", "Failed"), ("Confirmed", "Failed"),
        ("Pending", "Cancelled"), ("AwaitingFraudCheck", "Cancelled"), ("AwaitingFraudReview", "Cancelled"), ("AwaitingPayment", "Cancelled"),
        ("VerifyingPayment", "Cancelled"), ("Confirmed", "Cancelled"),
    ];

    public OrderSagaOptions Options { get; }

    public IReadOnlyList<string> States { get; }

    public IReadOnlyList<(string From, string To)> Transitions { get; }

    public static readonly string[] Terminal = ["Completed", "Failed", "Cancelled"];

    public static bool IsTerminal(string state) => Terminal.Contains(state);

    // The step each waiting state waits on: the command the saga sent, where it went, and the replies that end the wait.
    public static AwaitedStep? Awaited(string state) => state switch
    {
        "Pending" => new("ReserveInventory", "reserve-inventory", "InventoryReserved or InventoryReservationFailed", "stock reservation"),
        "AwaitingFraudCheck" => new("AssessFraud", "assess-fraud", "FraudAssessed", "fraud check"),
        "AwaitingFraudReview" => new(null, null, "ApproveOrder or RejectOrder from support staff", "manual fraud review"),
        "AwaitingPayment" => new("ChargePayment", "charge-payment", "PaymentCompleted or PaymentDeclined", "payment"),
        "VerifyingPayment" => new("CheckPayment", "check-payment", "PaymentCompleted, PaymentDeclined or PaymentNotCharged", "payment verification"),
        "Confirmed" => new("CreateShipment", "create-shipment", "ShipmentCreated", "shipment"),
        _ => null,
    };
}

public sealed record AwaitedStep(string? Command, string? Queue, string Replies, string Step);

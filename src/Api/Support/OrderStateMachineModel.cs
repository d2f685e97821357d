using GlobalCommerce.Sagas.Orders;
using MassTransit;
using MassTransit.SagaStateMachine;

namespace GlobalCommerce.Api.Support;

// What the console knows about the saga's shape, read from the state machine itself (its states and the transitions
// MassTransit's graph visitor finds), plus what each waiting state waits for.
public sealed class OrderStateMachineModel
{
    public OrderStateMachineModel(OrderSagaOptions options)
    {
        Options = options;
        var machine = new OrderStateMachine(options, TimeProvider.System);
        States = [.. machine.States.Select(state => state.Name)];
        var graph = machine.GetGraph();
        var stateTitles = States.ToHashSet(StringComparer.Ordinal);
        // The graph links state → event → state; each event vertex is the event as handled in one state.
        Transitions = [.. graph.Edges
            .Where(edge => stateTitles.Contains(edge.From.Title) && !stateTitles.Contains(edge.To.Title))
            .SelectMany(into => graph.Edges.Where(edge => edge.From == into.To && stateTitles.Contains(edge.To.Title))
                .Select(outof => (From: into.From.Title, To: outof.To.Title)))
            .Where(t => t.From != t.To)
            .Distinct()];
    }

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

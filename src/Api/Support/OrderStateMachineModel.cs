using System.Text;
using GlobalCommerce.Sagas.Orders;

namespace GlobalCommerce.Api.Support;

// The console's view of the saga's shape, all of it read from the state machine: its states, the transitions its
// definition declares, and its description of each waiting state (OrderSagaShape) under the configured options.
public sealed class OrderStateMachineModel
{
    public OrderStateMachineModel(OrderSagaOptions options)
    {
        Options = options;
        Machine = new OrderStateMachine(options, TimeProvider.System);
        States = [.. Machine.States.Prepend(Machine.Initial).Select(state => state.Name).Distinct()];
        OrderStates = [.. Machine.States.Where(s => !s.Equals(Machine.Initial) && !s.Equals(Machine.Final)).Select(s => s.Name)];
        Transitions = [.. Machine.Transitions.Select(t => (t.From, t.To)).Distinct()];
    }

    public OrderSagaOptions Options { get; }

    public OrderStateMachine Machine { get; }

    public OrderSagaShape Shape => Machine.Shape;

    public IReadOnlyList<string> States { get; }

    // The states an order row can be found in (Initial and Final are the machine's own bookends).
    public IReadOnlyList<string> OrderStates { get; }

    public IReadOnlyList<(string From, string To)> Transitions { get; }

    public bool IsTerminal(string state) => Shape.IsTerminal(state);

    public WaitingStep? Awaited(string state) => Shape.Of(state);

    // A state's name in words (each capital starts a word); an order in Initial is submitted and not yet taken up.
    public string Label(string state)
    {
        if (state == Machine.Initial.Name)
            return "Submitted";
        var label = new StringBuilder(state.Length + 4);
        foreach (var c in state)
        {
            if (char.IsUpper(c) && label.Length > 0)
                label.Append(' ').Append(char.ToLowerInvariant(c));
            else
                label.Append(c);
        }

        return label.ToString();
    }
}

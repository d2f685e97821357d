using System.Net;
using System.Text.RegularExpressions;
using GlobalCommerce.Api.Support;
using GlobalCommerce.Sagas.Orders;
using MassTransit;
using MassTransit.SagaStateMachine;

namespace GlobalCommerce.Api.Tests.Support;

public sealed partial class StateDiagramTests
{
    [Fact]
    public void The_console_diagram_draws_exactly_the_transitions_and_states_of_the_machine_graph()
    {
        var model = new OrderStateMachineModel(new OrderSagaOptions());
        var svg = WebUtility.HtmlDecode(StateDiagram.Render(model, model.Machine.Initial.Name, []));
        var drawn = EdgePattern().Matches(svg).Select(m => (From: m.Groups[1].Value, To: m.Groups[2].Value)).ToList();
        var nodes = NodePattern().Matches(svg).Select(m => m.Groups[1].Value).ToHashSet();

        var graph = model.Machine.GetGraph();
        var stateToEvent = graph.Edges.Where(e => e.From.VertexType == typeof(State)).Select(e => (State: e.From.Title, Event: e.To.Title)).ToList();
        var eventToState = graph.Edges.Where(e => e.To.VertexType == typeof(State)).Select(e => (Event: e.From.Title, State: e.To.Title)).ToList();

        Assert.Equal(drawn.Count, drawn.Distinct().Count());
        Assert.Equal(model.Machine.Transitions.Select(t => (t.From, t.To)).ToHashSet(), drawn.ToHashSet());
        // Each drawn arrow is a path state → event → state of MassTransit's graph, and each event a state handles
        // with a transition there is drawn from that state.
        foreach (var (from, to) in drawn)
            Assert.Contains(stateToEvent, se => se.State == from && eventToState.Contains((se.Event, to)));
        foreach (var (state, @event) in stateToEvent)
            Assert.Contains(drawn, d => d.From == state && model.Machine.Transitions.Any(t => t.From == state && t.Event == @event && t.To == d.To));
        Assert.Equal(graph.Vertices.Where(v => v.VertexType == typeof(State)).Select(v => v.Title).ToHashSet(), nodes);
    }

    [GeneratedRegex("<line [^>]*><title>([^<]+) → ([^<]+)</title></line>")]
    private static partial Regex EdgePattern();

    [GeneratedRegex("<g class=\"node[^\"]*\" data-state=\"([^\"]+)\"")]
    private static partial Regex NodePattern();
}

using GlobalCommerce.Contracts.Fraud;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Sagas.Orders;
using MassTransit;
using MassTransit.SagaStateMachine;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Sagas.Tests.Orders;

// The saga's shape (OrderSagaShape) is what the console and the endpoints read: these tests pin it to the machine.
public sealed class OrderSagaShapeTests
{
    readonly OrderStateMachine _machine = new(new OrderSagaOptions(), TimeProvider.System);

    [Fact]
    public void Every_state_the_machine_waits_in_is_described_and_the_rest_are_terminal()
    {
        var shape = _machine.Shape;
        var described = shape.Waiting.Select(step => step.Name).ToHashSet();
        var terminal = _machine.TerminalStates.Select(state => state.Name).ToHashSet();

        foreach (var state in _machine.States.Where(s => !s.Equals(_machine.Initial)))
            Assert.True(described.Contains(state.Name) ^ terminal.Contains(state.Name), $"{state.Name} is neither waiting nor terminal, or both");
        Assert.Equal(described.Count, shape.Waiting.Count);
        Assert.Equal(terminal.Order(), OrderStateMachine.TerminalStateNames.Order());
        Assert.Superset(new HashSet<string> { _machine.Completed.Name, _machine.Failed.Name, _machine.Cancelled.Name, _machine.Final.Name }, terminal);
        Assert.Equal(_machine.Completed.Name, OrderStateMachine.CompletedStateName);

        var transitions = _machine.Transitions;
        foreach (var step in shape.Waiting)
        {
            // Every reply it waits for, and every failure path it describes, is an event the machine handles in that state.
            var handled = _machine.NextEvents(step.State).Select(e => e.Name).ToHashSet();
            Assert.Superset(step.Replies.Select(e => e.Name).ToHashSet(), handled);
            foreach (var failure in step.Failures)
                Assert.Contains(new StateTransition(step.Name, failure.Event.Name, _machine.Failed.Name), transitions);
            Assert.Contains(new StateTransition(step.Name, _machine.CancelOrder.Name, _machine.Cancelled.Name), transitions);
            Assert.Equal(step.Command is null, step.Queue is null);
            if (step.Command is not null)
                Assert.Contains(_machine.RetryOrderStep.Name, handled);
        }
    }

    [Fact]
    public void The_transitions_are_read_from_the_machine_and_agree_with_its_graph()
    {
        var transitions = _machine.Transitions;
        var edges = transitions.Select(t => (t.From, t.To)).ToHashSet();
        State[] happy = [_machine.Initial, _machine.Pending, _machine.AwaitingFraudCheck, _machine.AwaitingPayment, _machine.Confirmed, _machine.Completed];
        foreach (var (from, to) in happy.Zip(happy.Skip(1)))
            Assert.Contains((from.Name, to.Name), edges);
        foreach (var step in _machine.Shape.Waiting)
        {
            Assert.Contains((step.Name, _machine.Failed.Name), edges);
            Assert.Contains((step.Name, _machine.Cancelled.Name), edges);
        }

        Assert.Contains((_machine.AwaitingPayment.Name, _machine.DeadlineExpired.Name, _machine.VerifyingPayment.Name),
            transitions.Select(t => (t.From, t.Event, t.To)));
        Assert.DoesNotContain((_machine.Pending.Name, _machine.VerifyingPayment.Name), edges);
        Assert.DoesNotContain(transitions, t => _machine.TerminalStates.Any(s => s.Name == t.From));

        // MassTransit's graph joins states through shared event vertices: each transition must be one of its paths,
        // and each of its state→event edges must be the start of one of ours.
        var graph = _machine.GetGraph();
        var graphEdges = graph.Edges.Select(e => (From: e.From.Title, To: e.To.Title, FromState: e.From.VertexType == typeof(State))).ToList();
        foreach (var t in transitions)
        {
            Assert.Contains((t.From, t.Event, true), graphEdges);
            Assert.Contains((t.Event, t.To, false), graphEdges);
        }

        foreach (var (from, to, _) in graphEdges.Where(e => e.FromState))
            Assert.Contains(transitions, t => t.From == from && t.Event == to);
    }

    [Fact]
    public async Task Each_waiting_state_sends_its_described_command_to_its_described_queue_and_cancelling_sends_its_compensations()
    {
        await using var host = await OrderSagaHost.StartAsync(maxStepAttempts: 1);
        var machine = host.Services.GetRequiredService<OrderStateMachine>();
        var shape = machine.Shape;
        var order = OrderSagaHost.NewOrder();
        await host.SendToSagaAsync(order);

        async Task AssertSentFromAsync(WaitingStep step)
        {
            await host.WaitForStateAsync(order.OrderId, step.Name);
            // The outbox delivers after the saga's transaction commits, so the entry send may trail the state.
            await WaitAsync(() => Sent(host, step.Command!, step.QueueName!) >= 1, $"{step.Command} to {step.QueueName} on entering {step.Name}");
            var before = Sent(host, step.Command!, step.QueueName!);
            await host.SendToSagaAsync(new RetryOrderStep { OrderId = order.OrderId, Reason = "shape test", RequestedBy = "test" });
            await WaitAsync(() => Sent(host, step.Command!, step.QueueName!) > before, $"{step.Command} to {step.QueueName} from {step.Name}");
        }

        await AssertSentFromAsync(shape.StockReservation);
        await host.PublishAsync(new InventoryReserved { OrderId = order.OrderId, ReservedAt = DateTimeOffset.UtcNow });
        await AssertSentFromAsync(shape.FraudCheck);
        await host.PublishAsync(new FraudAssessed { OrderId = order.OrderId, Score = 0.01, Reasons = [] });
        await AssertSentFromAsync(shape.Payment);
        var waiting = await host.WaitForStateAsync(order.OrderId, shape.Payment.Name);
        await host.PublishAsync(new OrderDeadlineExpired { OrderId = order.OrderId, DeadlineAt = waiting.DeadlineAt!.Value });
        Assert.Equal(shape.PaymentVerification.State, shape.Payment.Deadline.ExhaustedInto);
        await AssertSentFromAsync(shape.PaymentVerification);
        await host.PublishAsync(new PaymentCompleted { OrderId = order.OrderId, Amount = order.Total, Currency = order.Currency, GatewayReference = "ch_shape" });
        await AssertSentFromAsync(shape.Shipment);

        await host.SendToSagaAsync(new CancelOrder { OrderId = order.OrderId, Reason = "shape test", RequestedBy = "test" });
        await host.WaitForStateAsync(order.OrderId, machine.Cancelled.Name);
        foreach (var undo in CompensationCommand.For(shape.Shipment.OnCancel))
            await WaitAsync(() => Sent(host, undo.Command, undo.Queue.AbsolutePath) == 1, $"{undo.Command} to {undo.Queue}");
        Assert.Equal(3, CompensationCommand.For(shape.Shipment.OnCancel).Count);
    }

    static int Sent(OrderSagaHost host, string command, string queue) =>
        host.Harness.Consumed.Select(m => m.MessageType.Name == command
            && m.Context.ReceiveContext.InputAddress.AbsolutePath.TrimStart('/') == queue).Count();

    static async Task WaitAsync(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!condition())
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Never saw {what}");
            await Task.Delay(50);
        }
    }
}

using MassTransit;
using MassTransit.SagaStateMachine;

namespace GlobalCommerce.Sagas.Orders;

public sealed record StateTransition(string From, string Event, string To);

// Every TransitionTo of a state machine, read from the machine itself: the state it is declared in, the event that
// takes it, and the target. MassTransit's GetGraph() keeps one vertex per event across all states (CancelOrder leads
// from six states, DeadlineExpired to Failed from five and to VerifyingPayment from one), so joining its
// state→event and event→state edges would invent transitions; walking the machine keeps the state with each event.
public static class StateMachineTransitions
{
    public static IReadOnlyList<StateTransition> Of<TSaga>(StateMachine<TSaga> machine)
        where TSaga : class, SagaStateMachineInstance
    {
        var visitor = new Visitor<TSaga>();
        machine.Accept(visitor);
        return [.. visitor.Found.Distinct()];
    }

    sealed class Visitor<TSaga> : StateMachineVisitor
        where TSaga : class, SagaStateMachineInstance
    {
        State? _state;
        Event? _event;

        public List<StateTransition> Found { get; } = [];

        public void Visit(State state, Action<State> next)
        {
            _state = state;
            next(state);
        }

        public void Visit(Event @event, Action<Event> next)
        {
            _event = @event;
            next(@event);
        }

        public void Visit<TMessage>(Event<TMessage> @event, Action<Event<TMessage>> next)
            where TMessage : class
        {
            _event = @event;
            next(@event);
        }

        public void Visit(IStateMachineActivity activity) => Visit(activity, _ => { });

        public void Visit(IStateMachineActivity activity, Action<IStateMachineActivity> next)
        {
            if (activity is TransitionActivity<TSaga> transition && _state is not null && _event is not null)
                Found.Add(new StateTransition(_state.Name, _event.Name, transition.ToState.Name));
            next(activity);
        }

        public void Visit<T>(IBehavior<T> behavior)
            where T : class, SagaStateMachineInstance => Visit(behavior, _ => { });

        public void Visit<T>(IBehavior<T> behavior, Action<IBehavior<T>> next)
            where T : class, SagaStateMachineInstance => next(behavior);

        public void Visit<T, TMessage>(IBehavior<T, TMessage> behavior)
            where T : class, SagaStateMachineInstance
            where TMessage : class => Visit(behavior, _ => { });

        public void Visit<T, TMessage>(IBehavior<T, TMessage> behavior, Action<IBehavior<T, TMessage>> next)
            where T : class, SagaStateMachineInstance
            where TMessage : class => next(behavior);
    }
}

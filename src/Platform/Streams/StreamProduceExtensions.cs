using MassTransit;

namespace GlobalCommerce.Platform.Streams;

// Producing from a consumer or a state machine, as MassTransit's riders do from theirs. The producer is the message
// scope's, so the event joins the message's one transaction (the transactional outbox enlisted its DbContext): it is
// written to that database's stream outbox and reaches its stream if and only if the transaction commits, at the cost
// of one INSERT in a commit that happens anyway. A handler that is not behind the outbox would produce before its
// changes commit and keep the event after a rollback: that is refused, not done quietly.
public static class StreamProduceExtensions
{
    public static Task Produce<T>(this ConsumeContext context, T message, string partitionKey)
        where T : class
    {
        if (context.GetServiceOrCreateInstance<IStreamTransaction>().Enlisted is null)
        {
            throw new InvalidOperationException(
                $"{typeof(T).Name} is produced outside a transaction: the handler's endpoint is not behind a transactional outbox " +
                "whose DbContext has AddStreamTables()");
        }

        return context.GetServiceOrCreateInstance<ITopicProducer<T>>().Produce(message, partitionKey, context.CancellationToken);
    }

    // In a state machine: `.Produce(context => new OrderConfirmed { ... }, context => context.Saga.CorrelationId.ToString())`
    // in a transition, before or after its publishes; it is written with the saga row.
    public static EventActivityBinder<TSaga, TMessage> Produce<TSaga, TMessage, T>(this EventActivityBinder<TSaga, TMessage> binder,
        Func<BehaviorContext<TSaga, TMessage>, T> message, Func<BehaviorContext<TSaga, TMessage>, string> partitionKey)
        where TSaga : class, SagaStateMachineInstance
        where TMessage : class
        where T : class =>
        binder.Add(new ProduceActivity<TSaga, TMessage, T>(message, partitionKey));

    sealed class ProduceActivity<TSaga, TMessage, T>(
        Func<BehaviorContext<TSaga, TMessage>, T> message, Func<BehaviorContext<TSaga, TMessage>, string> partitionKey)
        : IStateMachineActivity<TSaga, TMessage>
        where TSaga : class, SagaStateMachineInstance
        where TMessage : class
        where T : class
    {
        public async Task Execute(BehaviorContext<TSaga, TMessage> context, IBehavior<TSaga, TMessage> next)
        {
            await context.Produce(message(context), partitionKey(context));
            await next.Execute(context);
        }

        public Task Faulted<TException>(BehaviorExceptionContext<TSaga, TMessage, TException> context, IBehavior<TSaga, TMessage> next)
            where TException : Exception =>
            next.Faulted(context);

        public void Accept(StateMachineVisitor visitor) => visitor.Visit(this);

        public void Probe(ProbeContext context) => context.CreateScope("produce").Add("messageType", typeof(T).Name);
    }
}

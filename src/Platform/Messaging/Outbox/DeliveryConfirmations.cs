using System.Collections.Concurrent;
using MassTransit;
using MassTransit.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Platform.Messaging.Outbox;

// Says when a sent message can no longer be lost, so its outbox may forget it.
// - A durable transport (RabbitMQ): as soon as Send returns, since MassTransit waits for the publisher confirm.
// - The in-memory transport: only when every receiver has finished the message (its inbox committed it), because a
//   crash loses whatever its queues hold. Receivers are counted from the endpoints this process configured (a publish
//   reaches every endpoint that consumes the type, a send one queue); ReceivedBy is this class as a receive observer.
public sealed class DeliveryConfirmations(IServiceProvider provider, ReceiverMap receivers) : IReceiveObserver
{
    readonly ConcurrentDictionary<Guid, Expected> _expected = new();
    bool? _durable;

    bool Durable => _durable ??= provider.GetRequiredService<IBus>().Address.Scheme != "loopback";

    public int Outstanding => _expected.Count;

    // done runs once every message was sent (Sent on the receipt) and, on the in-memory transport, received.
    public DeliveryReceipt Expect(IEnumerable<(Guid MessageId, string MessageType, bool IsPublish)> messages, Action done)
    {
        if (Durable)
            return new DeliveryReceipt(1, done);

        var counts = messages.Select(m => (m.MessageId, Receivers: m.IsPublish ? receivers.Count(m.MessageType) : 1))
            .Where(m => m.Receivers > 0).ToList();
        var receipt = new DeliveryReceipt(1 + counts.Sum(m => m.Receivers), done);
        foreach (var (messageId, count) in counts)
            _expected[messageId] = new Expected(count, receipt);
        return receipt;
    }

    Task IReceiveObserver.PreReceive(ReceiveContext context) => Task.CompletedTask;

    Task IReceiveObserver.PostReceive(ReceiveContext context)
    {
        Received(context);
        return Task.CompletedTask;
    }

    Task IReceiveObserver.PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) => Task.CompletedTask;

    Task IReceiveObserver.ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) =>
        Task.CompletedTask;

    // A message that still fails after its retries went to the error queue: handled as far as this process can.
    Task IReceiveObserver.ReceiveFault(ReceiveContext context, Exception exception)
    {
        Received(context);
        return Task.CompletedTask;
    }

    void Received(ReceiveContext context)
    {
        if (_expected.IsEmpty)
            return;
        var messageId = context.GetMessageId() ?? (context.TryGetPayload<ConsumeContext>(out var consume) ? consume.MessageId : null);
        if (messageId is null)
            return;
        if (!_expected.TryGetValue(messageId.Value, out var expected))
            return;
        if (expected.ReceivedOnce())
            _expected.TryRemove(new KeyValuePair<Guid, Expected>(messageId.Value, expected));
        expected.Receipt.Release();
    }

    sealed class Expected(int receivers, DeliveryReceipt receipt)
    {
        int _remaining = receivers;

        public DeliveryReceipt Receipt { get; } = receipt;

        // True for the last expected receiver.
        public bool ReceivedOnce() => Interlocked.Decrement(ref _remaining) == 0;
    }
}

public sealed class DeliveryReceipt(int parts, Action done)
{
    int _remaining = parts;

    // Every message of the delivery was handed to the transport.
    public void Sent() => Release();

    internal void Release()
    {
        if (Interlocked.Decrement(ref _remaining) == 0)
            done();
    }
}

// Which receive endpoints of this process consume each message type (by message URN), as MassTransit configured them.
public sealed class ReceiverMap : IConfigureReceiveEndpoint
{
    readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _endpoints = new(StringComparer.Ordinal);

    // messageTypes: an outbox message's "urn;urn;…" list; the first is the message's own type.
    public int Count(string messageTypes)
    {
        var separator = messageTypes.IndexOf(';', StringComparison.Ordinal);
        var type = separator < 0 ? messageTypes : messageTypes[..separator];
        return _endpoints.TryGetValue(type, out var endpoints) ? endpoints.Count : 0;
    }

    public void Add<TMessage>(string endpoint)
        where TMessage : class =>
        _endpoints.GetOrAdd(MessageUrn.ForTypeString<TMessage>(), _ => new(StringComparer.Ordinal)).TryAdd(endpoint, 0);

    public void Configure(string name, IReceiveEndpointConfigurator endpoint)
    {
        var observer = new Observer(this, name);
        endpoint.ConnectConsumerConfigurationObserver(observer);
        endpoint.ConnectSagaConfigurationObserver(observer);
    }

    sealed class Observer(ReceiverMap map, string endpoint) : IConsumerConfigurationObserver, ISagaConfigurationObserver
    {
        public void ConsumerConfigured<TConsumer>(IConsumerConfigurator<TConsumer> configurator)
            where TConsumer : class
        {
        }

        public void ConsumerMessageConfigured<TConsumer, TMessage>(IConsumerMessageConfigurator<TConsumer, TMessage> configurator)
            where TConsumer : class
            where TMessage : class =>
            map.Add<TMessage>(endpoint);

        public void SagaConfigured<TSaga>(ISagaConfigurator<TSaga> configurator)
            where TSaga : class, ISaga
        {
        }

        public void StateMachineSagaConfigured<TInstance>(ISagaConfigurator<TInstance> configurator, SagaStateMachine<TInstance> stateMachine)
            where TInstance : class, ISaga, SagaStateMachineInstance
        {
        }

        public void SagaMessageConfigured<TSaga, TMessage>(ISagaMessageConfigurator<TSaga, TMessage> configurator)
            where TSaga : class, ISaga
            where TMessage : class =>
            map.Add<TMessage>(endpoint);
    }
}

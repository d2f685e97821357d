using MassTransit;
using MassTransit.Context;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;

namespace GlobalCommerce.Platform.Messaging.Outbox;

// What a handler sees under the outbox: its sends and publishes are captured in memory (Outgoing) and stored in its
// inbox row when MassTransit's OutboxMessagePipe marks the message consumed; EfOutboxContextFactory commits them with
// the handler's changes and then delivers them with EfOutboxDeliverContext.
public sealed class EfOutboxConsumeContext<TMessage>(
    ConsumeContext<TMessage> context,
    OutboxConsumeOptions consumeOptions,
    IServiceProvider provider,
    InboxState inbox,
    TimeProvider clock)
    : OutboxConsumeContextProxy<TMessage>(context, consumeOptions, provider)
    where TMessage : class
{
    public List<OutboxMessage> Outgoing { get; } = [];

    public override bool ContinueProcessing { get; set; } = true;

    public override bool IsMessageConsumed => inbox.Consumed.HasValue;

    public override bool IsOutboxDelivered => inbox.Delivered.HasValue;

    public override int ReceiveCount => inbox.ReceiveCount;

    public override long? LastSequenceNumber => null;

    // Saved by the factory's one SaveChanges, with the handler's own changes. A handler that produced nothing is
    // delivered as soon as it is consumed: no later mark to write.
    public override Task SetConsumed()
    {
        var now = clock.GetUtcNow();
        inbox.Consumed = now;
        if (Outgoing.Count == 0)
            inbox.Delivered = now;
        else
            inbox.Outgoing = OutgoingMessages.Write(Outgoing);
        return Task.CompletedTask;
    }

    public override Task SetDelivered() => throw NotThisPass();

    public override Task<List<OutboxMessageContext>> LoadOutboxMessages() => throw NotThisPass();

    public override Task NotifyOutboxMessageDelivered(OutboxMessageContext message) => throw NotThisPass();

    public override Task RemoveOutboxMessages() => throw NotThisPass();

    public override Task AddSend<T>(SendContext<T> context)
    {
        // The receivers' inbox key (message id, consumer) then grows at its end (TimeOrderedId). Set before the body is
        // serialized, so the envelope and the transport carry the same id.
        context.MessageId = Persistence.TimeOrderedId.New();
        var messageId = context.MessageId.Value;

        var now = clock.GetUtcNow().UtcDateTime;
        var message = new OutboxMessage
        {
            SequenceNumber = Outgoing.Count + 1,
            MessageId = messageId,
            IsPublish = context is MessageSendContext<T> { IsPublish: true },
            ConversationId = context.ConversationId,
            CorrelationId = context.CorrelationId,
            InitiatorId = context.InitiatorId,
            RequestId = context.RequestId,
            SourceAddress = context.SourceAddress,
            DestinationAddress = context.DestinationAddress,
            ResponseAddress = context.ResponseAddress,
            FaultAddress = context.FaultAddress,
            SentTime = context.SentTime ?? now,
            ExpirationTime = context.TimeToLive is { } ttl ? now + ttl : null,
            ContentType = (context.ContentType ?? context.Serialization.DefaultContentType).ToString(),
            MessageType = string.Join(";", context.SupportedMessageTypes),
            Body = context.Serializer.GetMessageBody(context).GetString(),
            Headers = SerializerContext.SerializeDictionary(context.Headers.GetAll()),
        };
        if (context is TransportSendContext<T> transport)
        {
            var properties = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
            transport.WritePropertiesTo(properties);
            message.Properties = SerializerContext.SerializeDictionary(properties);
        }

        message.Deserialize(SerializerContext);
        Outgoing.Add(message);
        return Task.CompletedTask;
    }

    static InvalidOperationException NotThisPass() => new("The consume pass of the outbox only captures messages; EfOutboxDeliverContext delivers them");
}

// The second pass, with no transaction open: hands the committed messages to the transport (OutboxMessagePipe sends
// them in order, with their stored MessageIds), then tells OutboxDelivery, which writes the "delivered" mark later.
public sealed class EfOutboxDeliverContext<TMessage>(
    ConsumeContext<TMessage> context,
    OutboxConsumeOptions consumeOptions,
    IServiceProvider provider,
    InboxState inbox,
    List<OutboxMessage> outgoing,
    IOutboxDelivery delivery,
    TimeProvider clock)
    : OutboxConsumeContextProxy<TMessage>(context, consumeOptions, provider)
    where TMessage : class
{
    DeliveryReceipt? _receipt;

    public override bool ContinueProcessing { get; set; } = true;

    public override bool IsMessageConsumed => true;

    public override bool IsOutboxDelivered => false;

    public override int ReceiveCount => inbox.ReceiveCount;

    public override long? LastSequenceNumber => null;

    public override Task SetConsumed() => Task.CompletedTask;

    public override Task<List<OutboxMessageContext>> LoadOutboxMessages()
    {
        // Expected before the first send: on the in-memory transport a receiver may commit before Send returns.
        _receipt = delivery.BeginInbox(inbox.Id, outgoing);
        foreach (var message in outgoing)
            message.Deserialize(SerializerContext);
        return Task.FromResult(outgoing.Cast<OutboxMessageContext>().ToList());
    }

    public override Task NotifyOutboxMessageDelivered(OutboxMessageContext message)
    {
        if (message.SentTime is { } sent)
            OutboxMetrics.RecordDelivered("consume", delivery.DatabaseName, clock.GetUtcNow().UtcDateTime - sent);
        return Task.CompletedTask;
    }

    public override Task SetDelivered()
    {
        OutboxFaultInjection.Reached(OutboxCrashPoint.AfterSend);
        _receipt?.Sent();
        ContinueProcessing = false;
        return Task.CompletedTask;
    }

    public override Task RemoveOutboxMessages() => Task.CompletedTask;

    public override Task AddSend<T>(SendContext<T> context) =>
        throw new InvalidOperationException("Nothing is sent while an outbox delivers what a handler produced");
}

using System.Net.Mime;
using MassTransit;
using MassTransit.Context;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;
using MassTransit.Serialization;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Platform.Messaging.Outbox;

// The consume context a handler sees under the outbox: its sends and publishes become OutboxMessage rows of the
// handler's DbContext, and MassTransit's OutboxMessagePipe delivers them once the handler's transaction committed.
public sealed class EfOutboxConsumeContext<TMessage>(
    ConsumeContext<TMessage> context,
    OutboxConsumeOptions consumeOptions,
    IServiceProvider provider,
    DbContext db,
    InboxState inbox,
    TimeProvider clock)
    : OutboxConsumeContextProxy<TMessage>(context, consumeOptions, provider)
    where TMessage : class
{
    readonly int _deliveryLimit = consumeOptions.MessageDeliveryLimit;

    public override bool ContinueProcessing { get; set; } = true;

    public override bool IsMessageConsumed => inbox.Consumed.HasValue;

    public override bool IsOutboxDelivered => inbox.Delivered.HasValue;

    public override int ReceiveCount => inbox.ReceiveCount;

    public override long? LastSequenceNumber => inbox.LastSequenceNumber;

    public override async Task SetConsumed()
    {
        inbox.Consumed = clock.GetUtcNow();
        await db.SaveChangesAsync(CancellationToken);
    }

    // Delivered messages are removed in the same transaction, which saves MassTransit's separate clean-up pass.
    public override async Task SetDelivered()
    {
        inbox.Delivered = clock.GetUtcNow();
        await db.SaveChangesAsync(CancellationToken);
        await RemoveOutboxMessages();
    }

    public override async Task<List<OutboxMessageContext>> LoadOutboxMessages()
    {
        // Only what is still undelivered, one more than a pass may send: MassTransit's pipe marks the inbox row
        // delivered when a pass sees fewer messages than its limit.
        var delivered = inbox.LastSequenceNumber ?? 0;
        var messages = await db.Set<OutboxMessage>()
            .Where(m => m.InboxMessageId == inbox.MessageId && m.InboxConsumerId == inbox.ConsumerId && m.SequenceNumber > delivered)
            .OrderBy(m => m.SequenceNumber)
            .Take(_deliveryLimit + 1)
            .ToListAsync(CancellationToken);
        foreach (var message in messages)
            message.Deserialize(SerializerContext);
        return [.. messages.Cast<OutboxMessageContext>()];
    }

    public override async Task NotifyOutboxMessageDelivered(OutboxMessageContext message)
    {
        inbox.LastSequenceNumber = message.SequenceNumber;
        await db.SaveChangesAsync(CancellationToken);
        if (message.SentTime is { } sent)
            OutboxMetrics.RecordDelivered("consume", db.GetType().Name, clock.GetUtcNow().UtcDateTime - sent);
    }

    public override Task RemoveOutboxMessages() =>
        db.Set<OutboxMessage>()
            .Where(m => m.InboxMessageId == inbox.MessageId && m.InboxConsumerId == inbox.ConsumerId)
            .ExecuteDeleteAsync(CancellationToken);

    public override Task AddSend<T>(SendContext<T> context)
    {
        if (context.MessageId is not { } messageId)
            throw new MessageException(typeof(T), "The SendContext MessageId must be present");

        var now = clock.GetUtcNow().UtcDateTime;
        var message = new OutboxMessage
        {
            InboxMessageId = inbox.MessageId,
            InboxConsumerId = inbox.ConsumerId,
            MessageId = messageId,
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

        db.Set<OutboxMessage>().Add(message);
        return Task.CompletedTask;
    }
}

using MassTransit;
using MassTransit.Metadata;
using MassTransit.Middleware;
using MassTransit.Serialization;

namespace GlobalCommerce.Platform.Messaging.Outbox;

// A message a handler sent or published, stored in the handler's own transaction and delivered after it commits.
public class OutboxMessage : OutboxMessageContext
{
    Headers? _headers;
    IReadOnlyDictionary<string, object>? _properties;

    public long SequenceNumber { get; set; }

    public Guid InboxMessageId { get; set; }

    public Guid InboxConsumerId { get; set; }

    public Guid MessageId { get; set; }

    public required string ContentType { get; set; }

    public required string MessageType { get; set; }

    public required string Body { get; set; }

    public Guid? ConversationId { get; set; }

    public Guid? CorrelationId { get; set; }

    public Guid? InitiatorId { get; set; }

    public Guid? RequestId { get; set; }

    public Uri? SourceAddress { get; set; }

    public Uri? DestinationAddress { get; set; }

    public Uri? ResponseAddress { get; set; }

    public Uri? FaultAddress { get; set; }

    public DateTime SentTime { get; set; }

    public DateTime? ExpirationTime { get; set; }

    public string? Headers { get; set; }

    public string? Properties { get; set; }

    Guid? MessageContext.MessageId => MessageId;

    DateTime? MessageContext.SentTime => SentTime;

    Headers MessageContext.Headers => _headers ?? EmptyHeaders.Instance;

    HostInfo MessageContext.Host => HostMetadataCache.Host;

    IReadOnlyDictionary<string, object> OutboxMessageContext.Properties => _properties ?? new Dictionary<string, object>();

    public void Deserialize(IObjectDeserializer deserializer)
    {
        if (!string.IsNullOrWhiteSpace(Headers)
            && deserializer.DeserializeObject<Dictionary<string, object?>>(Headers) is { Count: > 0 } headers)
            _headers = new DictionarySendHeaders(headers);
        _properties = string.IsNullOrWhiteSpace(Properties)
            ? new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase)
            : deserializer.DeserializeObject<Dictionary<string, object>>(Properties) ?? [];
    }
}

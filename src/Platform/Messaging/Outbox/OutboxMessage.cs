using System.Text.Json.Serialization;
using MassTransit;
using MassTransit.Metadata;
using MassTransit.Middleware;
using MassTransit.Serialization;

namespace GlobalCommerce.Platform.Messaging.Outbox;

// A message a handler sent or published. Every message one handler produced is stored together, as JSON in the
// handler's inbox row (InboxState.Outgoing), in the handler's own transaction; it is delivered from memory right after
// that commit, and from the row only when the first delivery did not finish (a crash, a broker outage).
public sealed class OutboxMessage : OutboxMessageContext
{
    Headers? _headers;
    IReadOnlyDictionary<string, object>? _properties;

    public long SequenceNumber { get; set; }

    public Guid MessageId { get; set; }

    // Published (every endpoint bound to the type receives a copy) rather than sent to one queue: on the in-memory
    // transport it says how many receivers must confirm before the message may be forgotten.
    public bool IsPublish { get; set; }

    public required string ContentType { get; set; }

    public required string MessageType { get; set; }

    [JsonConverter(typeof(StoredJsonTextConverter))]
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

    [JsonConverter(typeof(StoredJsonTextConverter))]
    public string? Headers { get; set; }

    [JsonConverter(typeof(StoredJsonTextConverter))]
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

using System.Text.Json;

namespace GlobalCommerce.Platform.Messaging.Outbox;

// The messages one handler produced, as they are stored in its inbox row.
public static class OutgoingMessages
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string Write(List<OutboxMessage> messages) => JsonSerializer.Serialize(messages, Json);

    public static List<OutboxMessage> Read(string? stored) =>
        string.IsNullOrEmpty(stored) ? [] : JsonSerializer.Deserialize<List<OutboxMessage>>(stored, Json) ?? [];
}

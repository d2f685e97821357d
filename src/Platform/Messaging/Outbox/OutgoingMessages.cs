using System.Text.Json;
using System.Text.Json.Serialization;

namespace GlobalCommerce.Platform.Messaging.Outbox;

// The messages one handler produced, as they are stored in its inbox row.
public static class OutgoingMessages
{
    // A body's own nesting (MassTransit allows 64 levels) sits two levels down in the row.
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { MaxDepth = 128 };

    public static string Write(List<OutboxMessage> messages) => JsonSerializer.Serialize(messages, Json);

    public static List<OutboxMessage> Read(string? stored) =>
        string.IsNullOrEmpty(stored) ? [] : JsonSerializer.Deserialize<List<OutboxMessage>>(stored, Json) ?? [];
}

// A message body, or its headers, that is JSON (what every serializer the platform configures writes) is stored in the
// row as JSON, not as a string that escapes each of its quotes once more: a shorter row to build, write and log, and
// nothing to unescape when the row is sent again. Anything else is stored as a string, and a stored string (rows written
// before, or a body that is not JSON) reads back as it was. Either way Read gives back the exact text Write was given.
public sealed class StoredJsonTextConverter : JsonConverter<string>
{
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
            return reader.GetString()!;
        using var document = JsonDocument.ParseValue(ref reader);
        return document.RootElement.GetRawText();
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        if (IsObjectOrArray(value))
        {
            try
            {
                // Validated before anything is written: text that only looks like JSON is stored as a string below.
                writer.WriteRawValue(value);
                return;
            }
            catch (JsonException)
            {
                // Text that is not one complete, valid JSON value (OutgoingMessagesTests).
            }
            catch (ArgumentException)
            {
                // Text too long for the writer's own checks.
            }
        }

        writer.WriteStringValue(value);
    }

    // Only text whose first and last characters open and close an object or array: the raw text is then exactly what
    // reading it back returns (no surrounding whitespace to lose).
    static bool IsObjectOrArray(string value) =>
        value.Length >= 2 && ((value[0] == '{' && value[^1] == '}') || (value[0] == '[' && value[^1] == ']'));
}

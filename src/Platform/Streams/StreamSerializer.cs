using System.Text.Json;

namespace GlobalCommerce.Platform.Streams;

// Events travel as JSON (web defaults, as the HTTP API writes them), named by their full type name.
public static class StreamSerializer
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string TypeName(Type type) => type.FullName ?? type.Name;

    public static string Serialize<T>(T message) => JsonSerializer.Serialize(message, Json);

    public static byte[] SerializeToUtf8<T>(T message) => JsonSerializer.SerializeToUtf8Bytes(message, Json);

    public static object Deserialize(byte[] body, Type type) =>
        JsonSerializer.Deserialize(body, type, Json) ?? throw new JsonException($"An empty {type.Name} event");
}

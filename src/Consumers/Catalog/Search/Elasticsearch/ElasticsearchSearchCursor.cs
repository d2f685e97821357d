using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Elastic.Clients.Elasticsearch;

namespace GlobalCommerce.Consumers.Catalog.Search.Elasticsearch;

// What NextCursor holds, as base64url of a small versioned JSON: the point in time the pages read (null once it expired
// and paging went on without one), the last hit's sort values for search_after, and a fingerprint of the request so a
// cursor brought to another query is refused rather than silently paging the wrong results. It is not signed: whoever
// edits it can only move their own position in their own query.
internal sealed record ElasticsearchSearchCursor(string? PitId, IReadOnlyList<FieldValue> SearchAfter, string Fingerprint)
{
    private const int Version = 1;

    public string Encode()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("v", Version);
            json.WriteString("pit", PitId);
            json.WriteStartArray("after");
            foreach (var value in SearchAfter)
                WriteValue(json, value);
            json.WriteEndArray();
            json.WriteString("q", Fingerprint);
            json.WriteEndObject();
        }

        return Base64Url.EncodeToString(buffer.ToArray());
    }

    public static ElasticsearchSearchCursor Decode(string cursor, string expectedFingerprint, int sortValueCount)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(Base64Url.DecodeFromChars(cursor));
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new InvalidSearchCursorException("The search cursor is not one this index issued.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("v", out var version) || version.ValueKind != JsonValueKind.Number || version.GetInt32() != Version
                || !root.TryGetProperty("pit", out var pit) || pit.ValueKind is not (JsonValueKind.String or JsonValueKind.Null)
                || !root.TryGetProperty("after", out var after) || after.ValueKind != JsonValueKind.Array
                || !root.TryGetProperty("q", out var fingerprint) || fingerprint.ValueKind != JsonValueKind.String)
                throw new InvalidSearchCursorException("The search cursor is not one this index issued.");
            if (fingerprint.GetString() != expectedFingerprint)
                throw new InvalidSearchCursorException("The search cursor belongs to another query: start again from the first page.");
            if (after.GetArrayLength() != sortValueCount)
                throw new InvalidSearchCursorException("The search cursor does not match this query's sort.");

            var values = after.EnumerateArray().Select(ReadValue).ToList();
            return new ElasticsearchSearchCursor(pit.GetString(), values, expectedFingerprint);
        }
    }

    private static void WriteValue(Utf8JsonWriter json, FieldValue value)
    {
        switch (value.Kind)
        {
            case FieldValue.ValueKind.Long when value.TryGetLong(out var number):
                json.WriteNumberValue(number.GetValueOrDefault());
                break;
            case FieldValue.ValueKind.Double when value.TryGetDouble(out var real):
                json.WriteNumberValue(real.GetValueOrDefault());
                break;
            case FieldValue.ValueKind.Boolean when value.TryGetBool(out var flag):
                json.WriteBooleanValue(flag.GetValueOrDefault());
                break;
            case FieldValue.ValueKind.String when value.TryGetString(out var text):
                json.WriteStringValue(text);
                break;
            default:
                json.WriteNullValue();
                break;
        }
    }

    private static FieldValue ReadValue(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => FieldValue.String(element.GetString()!),
        JsonValueKind.Number when element.TryGetInt64(out var number) => FieldValue.Long(number),
        JsonValueKind.Number => FieldValue.Double(element.GetDouble()),
        JsonValueKind.True => FieldValue.True,
        JsonValueKind.False => FieldValue.False,
        JsonValueKind.Null => FieldValue.Null,
        _ => throw new InvalidSearchCursorException("The search cursor is not one this index issued."),
    };
}

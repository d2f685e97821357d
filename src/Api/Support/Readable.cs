using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GlobalCommerce.Api.Support;

public sealed record FieldValue(string Field, string? Value);

// Snapshots and messages are stored as JSON; staff read them as values: a score to two decimals, an amount as money
// in the order's currency, a time as UTC, an object as "key: value" pairs, a list one item after the other.
public static class Readable
{
    static readonly HashSet<string> MoneyFields = new(["total", "amount", "unitPrice", "price"], StringComparer.OrdinalIgnoreCase);

    public static IReadOnlyList<FieldValue> Fields(string? json, string currency) =>
        json is not null && JsonNode.Parse(json) is JsonObject message
            ? [.. message.Select(p => new FieldValue(p.Key, Value(p.Key, p.Value, CurrencyOf(message, currency))))]
            : [];

    public static string? Value(string field, JsonNode? node, string currency) => node switch
    {
        null => null,
        JsonObject item => string.Join(", ", item.Where(p => p.Value is not null)
            .Select(p => $"{p.Key}: {Value(p.Key, p.Value, CurrencyOf(item, currency))}")),
        JsonArray list => list.Count == 0 ? "none" : string.Join("; ", list.Select(item => Value(field, item, currency))),
        JsonValue value => Scalar(field, value, currency),
        _ => node.ToJsonString(),
    };

    static string Scalar(string field, JsonValue value, string currency)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                var text = value.GetValue<string>();
                return text.Contains('T', StringComparison.Ordinal)
                    && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at)
                    ? Display.Time(at)
                    : text;
            case JsonValueKind.Number when MoneyFields.Contains(field):
                return Display.Money(value.GetValue<decimal>(), currency);
            case JsonValueKind.Number when field.EndsWith("score", StringComparison.OrdinalIgnoreCase):
                return value.GetValue<double>().ToString("0.00", CultureInfo.InvariantCulture);
            // Doubles carry binary noise (0.05 + 0.10 is 0.15000000000000002): four places say all a person needs.
            case JsonValueKind.Number:
                return Math.Round(value.GetValue<double>(), 4).ToString("0.####", CultureInfo.InvariantCulture);
            case JsonValueKind.True:
                return "yes";
            case JsonValueKind.False:
                return "no";
            default:
                return value.ToJsonString();
        }
    }

    static string CurrencyOf(JsonObject item, string fallback) =>
        item["currency"] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : fallback;
}

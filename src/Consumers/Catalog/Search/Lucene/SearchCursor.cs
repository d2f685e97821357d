using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lucene.Net.Search;
using Lucene.Net.Util;

namespace GlobalCommerce.Consumers.Catalog.Search.Lucene;

// The opaque cursor of a Lucene search page: the index snapshot the first page was read from, the request it belongs to
// (a fingerprint: a cursor sent with other words or filters is refused), and the last hit's sort values (Lucene's
// searchAfter), each tagged with its type.
sealed record SearchCursor(long Snapshot, string Fingerprint, IReadOnlyList<string> Values)
{
    const int Format = 1;
    const int MaxLength = 2048;

    public override string ToString() =>
        Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new Wire(Format, Snapshot, Fingerprint, [.. Values]), SearchJsonContext.Default.Wire));

    public static SearchCursor Parse(string text, string fingerprint)
    {
        Wire? wire;
        try
        {
            if (text.Length > MaxLength)
                throw new FormatException("too long");
            wire = JsonSerializer.Deserialize(Base64Url.DecodeFromChars(text), SearchJsonContext.Default.Wire);
        }
        catch (Exception exception) when (exception is FormatException or JsonException)
        {
            throw new InvalidSearchCursorException("The cursor is not one this search handed out.");
        }

        if (wire is null || wire.F != Format || wire.V is null || wire.P is null || wire.V.Length is 0 or > 4)
            throw new InvalidSearchCursorException("The cursor is not one this search handed out.");
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(wire.P), Encoding.ASCII.GetBytes(fingerprint)))
            throw new InvalidSearchCursorException("The cursor belongs to another search: send the same words, filters and sort as the first page.");
        return new SearchCursor(wire.S, wire.P, wire.V);
    }

    // The last hit's sort values in the types Lucene's comparers hold them.
    public FieldDoc After(Sort sort)
    {
        if (Values.Count != sort.GetSort().Length)
            throw new InvalidSearchCursorException("The cursor belongs to another sort order.");
        var fields = new object[Values.Count];
        for (var i = 0; i < fields.Length; i++)
            fields[i] = Decode(Values[i]);
        var score = fields[0] is J2N.Numerics.Single s ? s.ToSingle() : float.NaN;
        return new FieldDoc(int.MaxValue, score, fields);
    }

    public static IReadOnlyList<string> Encode(object[] fields) => [.. fields.Select(EncodeValue)];

    static string EncodeValue(object value) => value switch
    {
        J2N.Numerics.Single f => "f" + f.ToSingle().ToString("R", CultureInfo.InvariantCulture),
        J2N.Numerics.Int64 l => "l" + l.ToInt64().ToString(CultureInfo.InvariantCulture),
        BytesRef b => "s" + b.Utf8ToString(),
        null => "n",
        _ => throw new InvalidOperationException($"Unexpected sort value type {value.GetType()}"),
    };

    static object Decode(string value)
    {
        var body = value.Length > 0 ? value[1..] : "";
        switch (value.FirstOrDefault())
        {
            case 'f' when float.TryParse(body, NumberStyles.Float, CultureInfo.InvariantCulture, out var f):
                return J2N.Numerics.Single.GetInstance(f);
            case 'l' when long.TryParse(body, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l):
                return J2N.Numerics.Int64.GetInstance(l);
            case 's' when body.Length <= 512:
                return new BytesRef(body);
            default:
                throw new InvalidSearchCursorException("The cursor is not one this search handed out.");
        }
    }

    internal sealed record Wire(int F, long S, string P, string[] V);
}

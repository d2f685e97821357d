using System.Text;
using System.Text.Json;

namespace GlobalCommerce.Api.Vendors;

// One row of an upload as read from the spooled file, before validation: the five values as text (null when absent),
// or why the row could not be read at all.
public sealed record UploadRow(int Line, string? Sku, string? Warehouse, string? Quantity, string? Price, string? ReorderPoint, string? Problem = null);

// The columns an upload must have, and how a header (or a JSON property) names them: case, spaces, '-' and '_' do not
// matter ("reorder_point", "Reorder Point", "reorderPoint").
public static class UploadColumns
{
    public const string Sku = "sku";
    public const string Warehouse = "warehouse";
    public const string Quantity = "quantity";
    public const string Price = "price";
    public const string ReorderPoint = "reorder_point";

    public static readonly string[] Required = [Sku, Warehouse, Quantity, Price, ReorderPoint];

    public static string Normalize(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (var c in name.Trim())
        {
            if (c is not (' ' or '-' or '_'))
                text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString();
    }

    // The required column each normalized name stands for.
    static readonly Dictionary<string, string> ByName = Required.ToDictionary(Normalize, c => c, StringComparer.Ordinal);

    public static string? Lookup(string name) => ByName.GetValueOrDefault(Normalize(name));
}

// Reads a spooled upload a row at a time from a byte position, and says where the next row starts (Position, Line), so
// processing can stop after any row and resume there. Holds one row at a time: memory does not grow with the file.
public abstract class UploadRowReader : IAsyncDisposable
{
    // A row longer than this is rejected whole (its bytes are skipped, not kept).
    public const int MaxRowBytes = 16 * 1024;

    readonly Stream _stream;
    readonly byte[] _buffer = new byte[64 * 1024];
    int _start;
    int _end;

    protected UploadRowReader(Stream stream, long position, int line)
    {
        _stream = stream;
        _stream.Seek(position, SeekOrigin.Begin);
        Position = position;
        Line = line;
    }

    // The byte offset after the last row returned, and the line the next one starts on.
    public long Position { get; protected set; }

    public int Line { get; protected set; }

    public abstract ValueTask<UploadRow?> ReadAsync(CancellationToken cancellationToken);

    public static async Task<UploadRowReader> OpenAsync(string path, Consumers.Vendors.UploadFormat format, long position, int line,
        CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        try
        {
            if (format == Consumers.Vendors.UploadFormat.JsonLines)
                return new JsonLinesRowReader(stream, position, Math.Max(line, 1));
            return await CsvRowReader.OpenAsync(stream, position, line, cancellationToken);
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    // The next byte, or -1 at the end of the file. Does not move Position: readers do, once a row is complete. Served
    // from the buffer without an async state machine; only a refill awaits (once per 64 KB).
    protected ValueTask<int> NextByteAsync(CancellationToken cancellationToken) =>
        _start < _end ? ValueTask.FromResult<int>(_buffer[_start++]) : RefillAsync(cancellationToken);

    async ValueTask<int> RefillAsync(CancellationToken cancellationToken)
    {
        _start = 0;
        _end = await _stream.ReadAsync(_buffer, cancellationToken);
        return _end == 0 ? -1 : _buffer[_start++];
    }

    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return _stream.DisposeAsync();
    }
}

// RFC 4180: fields separated by commas, records by CRLF or LF; a field in double quotes may hold commas, line breaks and
// doubled quotes. Lenient where a spreadsheet is: a stray quote inside an unquoted field is kept as text. Blank lines
// (and rows of empty fields) are skipped. Line numbers are the file's: the header is line 1, a row with a quoted line
// break counts both lines and is reported at its first.
public sealed class CsvRowReader : UploadRowReader
{
    readonly List<byte> _field = [];
    Dictionary<string, int> _columns = new(StringComparer.Ordinal);

    CsvRowReader(Stream stream, long position, int line)
        : base(stream, position, line)
    {
    }

    // The header's problems: missing or repeated columns. Empty when the header names every required column once.
    public IReadOnlyList<string> HeaderProblems { get; private set; } = [];

    // Reads the header (always, for the column positions) and moves to `position` (0: the row after the header).
    public static async Task<CsvRowReader> OpenAsync(Stream stream, long position, int line, CancellationToken cancellationToken)
    {
        var reader = new CsvRowReader(stream, 0, 1);
        await reader.SkipByteOrderMarkAsync(stream, cancellationToken);
        var header = await reader.ReadRecordAsync(cancellationToken);
        reader.ReadHeader(header?.Fields ?? []);
        if (position > 0)
            return new CsvRowReader(stream, position, line) { _columns = reader._columns, HeaderProblems = reader.HeaderProblems };
        return reader;
    }

    public override async ValueTask<UploadRow?> ReadAsync(CancellationToken cancellationToken)
    {
        if (await ReadRecordAsync(cancellationToken) is not { } record)
            return null;
        var (line, fields, problem) = record;
        string? Field(string column) =>
            _columns.TryGetValue(column, out var index) && index < fields.Count && !string.IsNullOrWhiteSpace(fields[index]) ? fields[index].Trim() : null;
        return new UploadRow(line, Field(UploadColumns.Sku), Field(UploadColumns.Warehouse), Field(UploadColumns.Quantity), Field(UploadColumns.Price),
            Field(UploadColumns.ReorderPoint), problem);
    }

    void ReadHeader(IReadOnlyList<string> names)
    {
        var problems = new List<string>();
        if (names.Count == 0)
        {
            HeaderProblems = ["The file is empty: the first line must be a header naming the columns " + string.Join(", ", UploadColumns.Required) + "."];
            return;
        }

        for (var i = 0; i < names.Count; i++)
        {
            if (UploadColumns.Lookup(names[i]) is not { } column)
                continue;
            if (!_columns.TryAdd(column, i))
                problems.Add($"The column {column} appears more than once in the header.");
        }

        var missing = UploadColumns.Required.Where(c => !_columns.ContainsKey(c)).ToList();
        if (missing.Count > 0)
            problems.Insert(0, $"The header has no column {string.Join(", ", missing)}; it must name {string.Join(", ", UploadColumns.Required)} (the first line of the file).");
        HeaderProblems = problems;
    }

    async Task SkipByteOrderMarkAsync(Stream stream, CancellationToken cancellationToken)
    {
        var bom = new byte[3];
        var read = await stream.ReadAtLeastAsync(bom, 3, throwOnEndOfStream: false, cancellationToken);
        var skip = read == 3 && bom is [0xEF, 0xBB, 0xBF] ? 3 : 0;
        stream.Seek(skip, SeekOrigin.Begin);
        Position = skip;
    }

    async ValueTask<(int Line, List<string> Fields, string? Problem)?> ReadRecordAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var start = Line;
            var fields = new List<string>();
            _field.Clear();
            var quoted = false;
            var closedQuote = false;
            var started = false;
            var bytes = 0;
            string? problem = null;
            while (true)
            {
                var b = await NextByteAsync(cancellationToken);
                if (b < 0)
                {
                    if (bytes == 0)
                        return null;
                    if (quoted)
                        problem = "A quoted field is not closed before the end of the file.";
                    fields.Add(Decode());
                    break;
                }

                Position++;
                if (++bytes > MaxRowBytes)
                    problem = $"The row is longer than {MaxRowBytes} bytes.";
                if (quoted)
                {
                    if (b == '"')
                    {
                        quoted = false;
                        closedQuote = true;
                    }
                    else
                    {
                        if (b == '\n')
                            Line++;
                        Append(b, problem);
                    }

                    continue;
                }

                if (b == '"' && closedQuote)
                {
                    Append(b, problem);
                    quoted = true;
                    closedQuote = false;
                    continue;
                }

                closedQuote = false;
                if (b == '"' && !started)
                {
                    quoted = true;
                    started = true;
                }
                else if (b == ',')
                {
                    fields.Add(Decode());
                    started = false;
                }
                else if (b == '\n')
                {
                    Line++;
                    if (_field.Count > 0 && _field[^1] == '\r')
                        _field.RemoveAt(_field.Count - 1);
                    fields.Add(Decode());
                    break;
                }
                else
                {
                    Append(b, problem);
                    started = true;
                }
            }

            if (problem is null && fields.All(string.IsNullOrWhiteSpace))
                continue;
            return (start, fields, problem);
        }
    }

    void Append(int b, string? problem)
    {
        if (problem is null)
            _field.Add((byte)b);
    }

    // Invalid UTF-8 becomes U+FFFD: the value then matches nothing and is reported, never guessed at.
    string Decode()
    {
        var text = Encoding.UTF8.GetString([.. _field]);
        _field.Clear();
        return text;
    }
}

// A JSON upload spooled as JSON Lines: line n is the array's n-th element (1-based), which is the line a report names.
public sealed class JsonLinesRowReader(Stream stream, long position, int line) : UploadRowReader(stream, position, line)
{
    readonly List<byte> _line = [];

    public override async ValueTask<UploadRow?> ReadAsync(CancellationToken cancellationToken)
    {
        _line.Clear();
        var bytes = 0;
        while (true)
        {
            var b = await NextByteAsync(cancellationToken);
            if (b < 0 && bytes == 0)
                return null;
            if (b < 0)
                break;
            bytes++;
            if (b == '\n')
                break;
            if (_line.Count <= MaxRowBytes)
                _line.Add((byte)b);
        }

        Position += bytes;
        var number = Line++;
        if (_line.Count > MaxRowBytes)
            return new UploadRow(number, null, null, null, null, null, $"The row is longer than {MaxRowBytes} bytes.");
        using var document = Parse();
        if (document?.RootElement.ValueKind != JsonValueKind.Object)
            return new UploadRow(number, null, null, null, null, null, "The row is not a JSON object.");
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (UploadColumns.Lookup(property.Name) is { } column)
                values[column] = property.Value.ValueKind switch
                {
                    JsonValueKind.Null or JsonValueKind.Undefined => null,
                    JsonValueKind.String => property.Value.GetString(),
                    _ => property.Value.GetRawText(),
                };
        }

        string? Value(string column) => values.GetValueOrDefault(column) is { } text && !string.IsNullOrWhiteSpace(text) ? text.Trim() : null;
        return new UploadRow(number, Value(UploadColumns.Sku), Value(UploadColumns.Warehouse), Value(UploadColumns.Quantity), Value(UploadColumns.Price),
            Value(UploadColumns.ReorderPoint));
    }

    // The spool holds what the API wrote from a parsed array, so this fails only on a damaged file.
    JsonDocument? Parse()
    {
        try
        {
            return JsonDocument.Parse(_line.ToArray());
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

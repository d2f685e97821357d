using System.Text.Json;
using GlobalCommerce.Api.Http;
using GlobalCommerce.Consumers.Vendors;
using GlobalCommerce.Platform;

namespace GlobalCommerce.Api.Vendors;

// Uploads are written to <DataDirectory>/vendor-uploads (0700; files 0600, they hold a vendor's prices and stock)
// before anything is queued, streamed from the request in small buffers: the API never holds a whole upload. A JSON
// array is written as JSON Lines (one row per line) as it is parsed, so that both formats are read and resumed the same
// way. A file is deleted when its upload ends.
public sealed class UploadSpool(CommerceOptions commerce)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Directory { get; } = Path.Combine(Path.GetFullPath(commerce.DataDirectory), "vendor-uploads");

    public string PathOf(Guid uploadId, UploadFormat format) =>
        Path.Combine(Directory, uploadId.ToString("N") + (format == UploadFormat.Csv ? ".csv" : ".jsonl"));

    // The body's bytes as sent (CSV), stopping with BodyTooLargeException past `limit`.
    public async Task<long> WriteCsvAsync(string path, Stream body, long limit, CancellationToken cancellationToken)
    {
        await using var file = Create(path);
        await new LimitedStream(body, limit).CopyToAsync(file, 64 * 1024, cancellationToken);
        return file.Length;
    }

    // The array's elements, one per line; the number written. Throws JsonException for anything but a JSON array.
    public async Task<int> WriteJsonLinesAsync(string path, Stream body, long limit, CancellationToken cancellationToken)
    {
        await using var file = Create(path);
        var rows = 0;
        await using (var buffered = new BufferedStream(file, 64 * 1024))
        {
            var elements = JsonSerializer.DeserializeAsyncEnumerable<JsonElement>(new LimitedStream(body, limit), topLevelValues: false, Json, cancellationToken);
            await foreach (var element in elements)
            {
                await buffered.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(element, Json), cancellationToken);
                buffered.WriteByte((byte)'\n');
                rows++;
            }
        }

        return rows;
    }

    public void Delete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left for the start-up sweep.
        }
    }

    FileStream Create(string path)
    {
        if (OperatingSystem.IsWindows())
            System.IO.Directory.CreateDirectory(Directory);
        else
            System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return new FileStream(path, options);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace GlobalCommerce.Bench.UploadRun;

public sealed record UploadStatus(string Status, int RowsRead, int Accepted, int Rejected, DateTimeOffset ReceivedAt, DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt, string? FailureReason, IReadOnlyList<string> FirstRejections);

public sealed record EventCount(string Stream, string EventType, long Count);

// The platform's public HTTP API, as the demo vendor and the demo admin use it. Plain JSON: the benchmark shares no type
// with the platform, so a renamed field shows up here as a failure rather than going unnoticed.
public sealed class PlatformClient(Uri address) : IDisposable
{
    public const string DemoPassword = "Demo-Passw0rd!";
    public const string VendorEmail = "vendor@demo.local";
    public const string AdminEmail = "admin@demo.local";

    // No client-side timeout: a request that hangs is what the run measures, and --timeout ends it.
    readonly HttpClient _http = new() { BaseAddress = address, Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    AuthenticationHeaderValue? _vendor;
    AuthenticationHeaderValue? _admin;

    public async Task LogInAsync(CancellationToken cancellationToken)
    {
        _vendor = await LogInAsync(VendorEmail, cancellationToken);
        _admin = await LogInAsync(AdminEmail, cancellationToken);
    }

    async Task<AuthenticationHeaderValue> LogInAsync(string email, CancellationToken cancellationToken)
    {
        using var answer = await _http.PostAsJsonAsync(new Uri("/api/auth/login", UriKind.Relative), new LoginBody(email, DemoPassword), cancellationToken);
        using var json = await ReadAsync(answer, HttpStatusCode.OK, $"log in as {email}", cancellationToken);
        return new AuthenticationHeaderValue("Bearer", json.RootElement.GetProperty("accessToken").GetString());
    }

    public async Task<IReadOnlyList<CatalogProduct>> ProductsAsync(CancellationToken cancellationToken)
    {
        using var json = await GetAsync("/api/products", null, cancellationToken);
        return [.. json.RootElement.EnumerateArray().Select(p => new CatalogProduct(p.GetProperty("id").GetGuid(), p.GetProperty("sku").GetString()!,
            p.GetProperty("price").GetDecimal(), p.GetProperty("available").GetInt32(), p.GetProperty("inStock").GetBoolean()))];
    }

    // The 202's upload id; the body is streamed from the file.
    public async Task<Guid> UploadAsync(string csvPath, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(csvPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        using var content = new StreamContent(file, 1 << 16);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/vendors/me/inventory", UriKind.Relative)) { Content = content };
        request.Headers.Authorization = _vendor;
        using var answer = await _http.SendAsync(request, cancellationToken);
        using var json = await ReadAsync(answer, HttpStatusCode.Accepted, "upload the CSV", cancellationToken);
        return json.RootElement.GetProperty("uploadId").GetGuid();
    }

    public async Task<UploadStatus> UploadStatusAsync(Guid uploadId, CancellationToken cancellationToken)
    {
        using var json = await GetAsync($"/api/vendors/me/inventory/uploads/{uploadId}", _vendor, cancellationToken);
        var root = json.RootElement;
        var rejections = root.GetProperty("rejections").GetProperty("items").EnumerateArray().Take(5)
            .Select(r => string.Create(CultureInfo.InvariantCulture, $"line {r.GetProperty("line").GetInt32()}: {r.GetProperty("code").GetString()} ({r.GetProperty("reason").GetString()})"))
            .ToList();
        return new UploadStatus(root.GetProperty("status").GetString()!, root.GetProperty("rowsRead").GetInt32(), root.GetProperty("accepted").GetInt32(),
            root.GetProperty("rejected").GetInt32(), root.GetProperty("receivedAt").GetDateTimeOffset(), OptionalTime(root, "startedAt"),
            OptionalTime(root, "completedAt"), root.TryGetProperty("failureReason", out var reason) && reason.ValueKind == JsonValueKind.String ? reason.GetString() : null,
            rejections);
    }

    // Every page of the vendor's reorder alerts, at the largest page size the endpoint allows.
    public async Task<int> CountReorderAlertsAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        string? cursor = null;
        do
        {
            var path = cursor is null ? "/api/vendors/me/reorder-alerts?limit=200" : $"/api/vendors/me/reorder-alerts?limit=200&cursor={Uri.EscapeDataString(cursor)}";
            using var json = await GetAsync(path, _vendor, cancellationToken);
            count += json.RootElement.GetProperty("items").GetArrayLength();
            cursor = json.RootElement.TryGetProperty("nextCursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (cursor is not null);
        return count;
    }

    public async Task<IReadOnlyList<EventCount>> AnalyticsEventsAsync(CancellationToken cancellationToken)
    {
        using var json = await GetAsync("/api/analytics/summary", _admin, cancellationToken);
        return [.. json.RootElement.GetProperty("events").EnumerateArray().Select(e => new EventCount(e.GetProperty("stream").GetString()!,
            e.GetProperty("eventType").GetString()!, e.GetProperty("count").GetInt64()))];
    }

    public void Dispose() => _http.Dispose();

    async Task<JsonDocument> GetAsync(string path, AuthenticationHeaderValue? caller, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = caller;
        using var answer = await _http.SendAsync(request, cancellationToken);
        return await ReadAsync(answer, HttpStatusCode.OK, $"GET {path}", cancellationToken);
    }

    static async Task<JsonDocument> ReadAsync(HttpResponseMessage answer, HttpStatusCode expected, string what, CancellationToken cancellationToken)
    {
        if (answer.StatusCode != expected)
        {
            var body = await answer.Content.ReadAsStringAsync(cancellationToken);
            throw new BenchFailure(string.Create(CultureInfo.InvariantCulture,
                $"{what}: expected {(int)expected}, got {(int)answer.StatusCode} {body[..Math.Min(body.Length, 500)]}"));
        }

        await using var stream = await answer.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
    }

    static DateTimeOffset? OptionalTime(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetDateTimeOffset() : null;

    sealed record LoginBody(string Email, string Password);
}

// Wall-clock latencies of one kind of request, in milliseconds.
public sealed class Latencies
{
    readonly List<double> _milliseconds = [];

    public int Count => _milliseconds.Count;

    public double Max => _milliseconds.Count == 0 ? 0 : _milliseconds.Max();

    public async Task<T> TimeAsync<T>(Func<Task<T>> request)
    {
        var watch = Stopwatch.StartNew();
        var result = await request();
        _milliseconds.Add(watch.Elapsed.TotalMilliseconds);
        return result;
    }

    // Nearest rank.
    public double Percentile(double percent)
    {
        if (_milliseconds.Count == 0)
            return 0;
        var sorted = _milliseconds.Order().ToList();
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}

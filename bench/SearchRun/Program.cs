using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GlobalCommerce.Bench.UploadRun;

// The search benchmark (issue #13): a generated catalog of --products products (the API's generate-catalog command),
// the full reindex timed (its reindex command), then search through HTTP on the embedded default: exact and misspelt
// queries, each cached (a small set asked again and again) and uncached (every request a query not asked before), beside
// GET /health/live of the same server in the same run as the baseline. Prints a markdown table.
var products = Option("--products", 100_000);
var clients = Option("--clients", 8);
var seconds = Option("--seconds", 10);
if (args.Contains("-h") || args.Contains("--help"))
{
    Console.WriteLine("bench/search.sh [--products 100000] [--clients 8] [--seconds 10] [--keep]   (each phase: --clients closed-loop clients for --seconds)");
    return 0;
}

var root = RepositoryRoot();
var dll = Path.Combine(root, "src", "Api", "bin", "Release", "net10.0", "GlobalCommerce.Api.dll");
var work = Path.Combine(Path.GetTempPath(), "gc-bench-search-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(work);
var environment = new Dictionary<string, string> { ["Commerce__DataDirectory"] = Path.Combine(work, "data") };
try
{
    Say($"generating {products:N0} products ...");
    var generate = await RunCommandAsync(["generate-catalog", "--products", products.ToString(CultureInfo.InvariantCulture)]);
    Say($"generated in {generate.TotalSeconds:F1} s; reindexing ...");
    var reindex = await RunCommandAsync(["reindex"]);
    Say($"reindexed in {reindex.TotalSeconds:F1} s (whole command, process start included)");

    await using var host = ApiHost.Start(dll, work, environment);
    await host.WaitUntilReadyAsync(TimeSpan.FromSeconds(120), CancellationToken.None);
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients * 2 }) { BaseAddress = host.Address };

    // Queries from the catalog itself: word pairs of product names, and the same with one letter dropped from the longer word.
    var names = new List<string>();
    string? cursor = null;
    for (var page = 0; page < 20; page++)
    {
        var results = await http.GetFromJsonAsync<JsonElement>("/api/search?size=100&fields=name" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
        names.AddRange(results.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()!));
        cursor = results.GetProperty("nextCursor").GetString();
        if (cursor is null)
            break;
    }

    var pairs = names.Select(n => n.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => w.Length > 2 && !w.All(char.IsDigit)).ToArray())
        .Where(w => w.Length >= 3).Select(w => $"{w[^2]} {w[^1]}".ToLowerInvariant()).Distinct().ToList();
    var typos = pairs.Select(Misspell).ToList();
    var categories = new[] { "", "&category=Audio", "&category=Computing", "&category=Outdoors", "&category=Books", "&category=Fashion", "&category=Home%20%26%20Kitchen" };
    var maxPrices = new[] { "", "&maxPrice=50", "&maxPrice=100", "&maxPrice=250", "&maxPrice=500", "&inStock=true" };
    IEnumerable<string> Unique(List<string> words) =>
        from w in words from c in categories from p in maxPrices select $"/api/search?q={Uri.EscapeDataString(w)}{c}{p}";
    Say($"{names.Count} names read, {pairs.Count} word pairs");

    var rows = new List<(string Phase, Phase Result)>();
    await RunAsync("warm-up (not reported)", Cycle(Unique(pairs).Concat(Unique(typos)).ToList()));
    var baseline = await RunAsync("baseline GET /health/live", _ => "/health/live");
    rows.Add(("baseline: GET /health/live", baseline));
    var hot = pairs.Take(20).Select(w => $"/api/search?q={Uri.EscapeDataString(w)}").ToList();
    var hotTypos = typos.Take(20).Select(w => $"/api/search?q={Uri.EscapeDataString(w)}").ToList();
    rows.Add(("search exact, cached", await RunAsync("exact cached", Cycle(hot))));
    rows.Add(("search typo, cached", await RunAsync("typo cached", Cycle(hotTypos))));
    rows.Add(("search exact, uncached", await RunAsync("exact uncached", Once(Unique(pairs).Skip(2000).Reverse().ToList()))));
    rows.Add(("search typo, uncached", await RunAsync("typo uncached", Once(Unique(typos).Skip(2000).Reverse().ToList()))));

    var report = new StringBuilder();
    report.AppendLine(CultureInfo.InvariantCulture, $"# Search benchmark\n{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {products:N0} generated products, {clients} closed-loop clients, {seconds} s per phase, embedded default\n");
    report.AppendLine(CultureInfo.InvariantCulture, $"full reindex of {products:N0} products: {reindex.TotalSeconds:F1} s (the whole `reindex` command, process start and catalog read included); target < 30 s: {(reindex.TotalSeconds < 30 ? "met" : "NOT MET")}\n");
    report.AppendLine("| phase | requests/s | p50 ms | p95 ms | p99 ms | errors | p95 ÷ baseline p95 | requests/s ÷ baseline |");
    report.AppendLine("|---|---|---|---|---|---|---|---|");
    foreach (var (phase, result) in rows)
    {
        report.AppendLine(CultureInfo.InvariantCulture,
            $"| {phase} | {result.Rate:F0} | {result.P50:F2} | {result.P95:F2} | {result.P99:F2} | {result.Errors} | {result.P95 / baseline.P95:F1} | {result.Rate / baseline.Rate:F2} |");
    }

    var uncached = Math.Max(rows[3].Result.P95, rows[4].Result.P95);
    var cached = Math.Max(rows[1].Result.P95, rows[2].Result.P95);
    report.AppendLine(CultureInfo.InvariantCulture, $"\ntargets (2 cores): uncached p95 < 20 ms: {(uncached < 20 ? "met" : "NOT MET")} ({uncached:F1}); cached p95 < 3 ms: {(cached < 3 ? "met" : "NOT MET")} ({cached:F2})");
    Console.WriteLine(report);
    return 0;

    async Task<Phase> RunAsync(string label, Func<int, string?> next)
    {
        var latencies = new List<double>[clients];
        var errors = 0;
        var counter = -1;
        var until = Stopwatch.GetTimestamp() + (long)(seconds * (double)Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            var mine = latencies[client] = [];
            while (Stopwatch.GetTimestamp() < until && next(Interlocked.Increment(ref counter)) is { } path)
            {
                var begin = Stopwatch.GetTimestamp();
                using var answer = await http.GetAsync(path);
                await answer.Content.ReadAsByteArrayAsync();
                mine.Add(Stopwatch.GetElapsedTime(begin).TotalMilliseconds);
                if (answer.StatusCode != HttpStatusCode.OK)
                    Interlocked.Increment(ref errors);
            }
        }));
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        var phase = new Phase(all.Length / elapsed, Percentile(all, 0.50), Percentile(all, 0.95), Percentile(all, 0.99), errors);
        Say(string.Create(CultureInfo.InvariantCulture, $"{label}: {all.Length} requests, {phase.Rate:F0}/s, p50 {phase.P50:F2} ms, p95 {phase.P95:F2} ms, p99 {phase.P99:F2} ms, {errors} errors"));
        return phase;
    }
}
finally
{
    if (args.Contains("--keep"))
        Say($"kept {work}");
    else
        Directory.Delete(work, recursive: true);
}

static Func<int, string?> Cycle(List<string> paths) => i => paths[i % paths.Count];

// Every request a query not asked before; the phase ends early if the list runs out.
static Func<int, string?> Once(List<string> paths) => i => i < paths.Count ? paths[i] : null;

static string Misspell(string pair)
{
    var words = pair.Split(' ');
    var longest = words.OrderByDescending(w => w.Length).First();
    var typo = longest.Length > 3 ? longest.Remove(longest.Length / 2, 1) : longest;
    return string.Join(' ', words.Select(w => w == longest ? typo : w));
}

static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

static void Say(string message) => Console.Error.WriteLine($"[search] {message}");

int Option(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : fallback;
}

async Task<TimeSpan> RunCommandAsync(string[] command)
{
    var start = new ProcessStartInfo("dotnet", [dll, .. command]) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
    foreach (var (key, value) in environment)
        start.Environment[key] = value;
    start.Environment["Logging__LogLevel__Default"] = "Warning";
    var clock = Stopwatch.StartNew();
    using var process = Process.Start(start)!;
    var output = process.StandardOutput.ReadToEndAsync();
    string? line;
    while ((line = await process.StandardError.ReadLineAsync()) is not null)
    {
        if (line.StartsWith('['))
            Console.Error.WriteLine("  " + line);
    }

    await process.WaitForExitAsync();
    await output;
    if (process.ExitCode != 0)
        throw new BenchFailure($"`{string.Join(' ', command)}` exited with {process.ExitCode}");
    return clock.Elapsed;
}

static string RepositoryRoot()
{
    for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
    {
        if (File.Exists(Path.Combine(folder.FullName, "GlobalCommerce.sln")))
            return folder.FullName;
    }

    throw new BenchFailure("could not find the repository root (GlobalCommerce.sln) above the tool");
}

sealed record Phase(double Rate, double P50, double P95, double P99, int Errors);

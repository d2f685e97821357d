using System.Diagnostics;
using System.Globalization;

namespace GlobalCommerce.Bench.UploadRun;

// One run: the baseline read, the file, the upload polled until completed, then the fan-out polled until every
// consumer group shows every row. Three loops share the clock: the HTTP polls (here), the memory sampler and the
// progress printer, the latter two independent of the requests so that a request that freezes shows up as one.
public sealed class UploadBenchmark(RunOptions options, ApiHost host, string work)
{
    readonly Lock _gate = new();
    readonly Stopwatch _clock = new();
    readonly ProcessMeter _meter = new(host.Pid);
    string _phase = "sending the file";
    UploadStatus? _status;
    FanOutState? _fanOut;
    TimeSpan? _pendingSince;
    string _pending = "";
    double _rss;
    double _peakRss;

    public async Task<int> RunAsync(CancellationToken stop)
    {
        Say($"API host pid {host.Pid} at {host.Address} (log {host.LogPath}); waiting for /health/ready");
        await host.WaitUntilReadyAsync(TimeSpan.FromSeconds(120), stop);
        using var client = new PlatformClient(host.Address);
        await client.LogInAsync(stop);
        if (options.WarmupRows > 0)
            await WarmUpAsync(client, stop);
        var catalog = await client.ProductsAsync(stop);
        var alertsBefore = await client.CountReorderAlertsAsync(stop);
        var eventsBefore = await client.AnalyticsEventsAsync(stop);

        var csv = Path.Combine(work, "inventory.csv");
        var expected = await InventoryFile.WriteAsync(csv, options.Rows, catalog, stop);
        var fileBytes = new FileInfo(csv).Length;
        var warehouses = (options.Rows + catalog.Count - 1) / catalog.Count;
        Say($"{options.Rows:N0} rows ({catalog.Count} products x {warehouses:N0} warehouses), {Megabytes(fileBytes):0.0} MB; expecting {expected.NewAlerts:N0} reorder alerts");

        var idleRss = _meter.RssMegabytes() ?? 0;
        var cpuStart = _meter.CpuSeconds() ?? 0;
        _peakRss = _rss = idleRss;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        using var background = CancellationTokenSource.CreateLinkedTokenSource(stop);
        _clock.Start();
        deadline.CancelAfter(options.Timeout);
        var sampler = SampleAsync(background.Token);
        var progress = PrintProgressAsync(background.Token);
        try
        {
            var result = await MeasureAsync(client, csv, expected, alertsBefore, eventsBefore, deadline.Token);
            var cpu = (_meter.CpuSeconds() ?? cpuStart) - cpuStart;
            background.Cancel();
            await Task.WhenAll(sampler, progress);
            var report = new RunReport(options.Rows, catalog.Count, warehouses, fileBytes, result.Accepted202, result.Completed, result.Server, result.FannedOut,
                cpu, idleRss, _peakRss, result.RssMarks, _meter.PeakRssMegabytes() ?? 0, result.StatusLatencies, result.FanOutChecks, result.FanOut);
            Console.WriteLine();
            Console.WriteLine(report.ToMarkdown());
            return 0;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !stop.IsCancellationRequested)
        {
            throw new BenchFailure(TimeoutMessage());
        }
        finally
        {
            await background.CancelAsync();
            await Task.WhenAll(sampler, progress);
        }
    }

    // An upload of its own before the measured one, waited for until every group applied it; nothing of it is measured.
    async Task WarmUpAsync(PlatformClient client, CancellationToken stop)
    {
        var watch = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(options.Timeout);
        var ct = deadline.Token;
        var catalog = await client.ProductsAsync(ct);
        var check = new FanOutCheck(client, await InventoryFile.WriteAsync(Path.Combine(work, "warmup.csv"), options.WarmupRows, catalog, ct, "WU", alertRows: false),
            await client.CountReorderAlertsAsync(ct), await client.AnalyticsEventsAsync(ct));
        Say($"warm-up (not measured): {options.WarmupRows:N0} rows to warehouses WU-…");
        try
        {
            var uploadId = await client.UploadAsync(Path.Combine(work, "warmup.csv"), ct);
            while (true)
            {
                host.ThrowIfExited();
                var status = await client.UploadStatusAsync(uploadId, ct);
                if (status.Status == "failed")
                    throw new BenchFailure($"the warm-up upload failed: {status.FailureReason}; see {host.LogPath}");
                if (status.Status == "completed")
                    break;
                await Task.Delay(options.Poll, ct);
            }

            while (!(await check.CheckAsync(ct)).AllHold)
            {
                host.ThrowIfExited();
                await Task.Delay(options.Poll, ct);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !stop.IsCancellationRequested)
        {
            throw new BenchFailure($"the warm-up upload did not fan out within {options.Timeout.TotalSeconds:0} s; see {host.LogPath}");
        }

        Say($"warm-up applied by every group after {watch.Elapsed.TotalSeconds:0.0} s");
    }

    async Task<Measured> MeasureAsync(PlatformClient client, string csv, ExpectedState expected, int alertsBefore, IReadOnlyList<EventCount> eventsBefore,
        CancellationToken ct)
    {
        var uploadId = await client.UploadAsync(csv, ct);
        var accepted202 = _clock.Elapsed;
        Say($"202 after {accepted202.TotalSeconds:0.00} s: upload {uploadId}");
        Phase("upload");

        var latencies = new Latencies();
        var marks = new double?[4];
        UploadStatus status;
        await using (var polls = new StreamWriter(Path.Combine(work, "polls.csv")) { NewLine = "\n" })
        {
            await polls.WriteLineAsync("elapsed_s,latency_ms,status,rows_read,accepted,rejected,rss_mb");
            while (true)
            {
                host.ThrowIfExited();
                Pending("status request");
                var watch = Stopwatch.StartNew();
                status = await latencies.TimeAsync(() => client.UploadStatusAsync(uploadId, ct));
                Pending(null);
                var rss = _meter.RssMegabytes() ?? 0;
                lock (_gate)
                {
                    _status = status;
                    _peakRss = Math.Max(_peakRss, rss);
                }

                await polls.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{_clock.Elapsed.TotalSeconds:0.000},{watch.Elapsed.TotalMilliseconds:0.0},{status.Status},{status.RowsRead},{status.Accepted},{status.Rejected},{rss:0.0}"));
                for (var quarter = 0; quarter < marks.Length; quarter++)
                {
                    if (marks[quarter] is null && (long)status.RowsRead * marks.Length >= (long)(quarter + 1) * options.Rows)
                        marks[quarter] = rss;
                }

                if (status.Status == "completed")
                    break;
                if (status.Status == "failed")
                    throw new BenchFailure(string.Create(CultureInfo.InvariantCulture,
                        $"the upload failed: {status.FailureReason} (rows read {status.RowsRead:N0}, accepted {status.Accepted:N0}); see {host.LogPath}"));
                await Task.Delay(options.Poll, ct);
            }
        }

        var completed = _clock.Elapsed;
        if (status.Accepted != options.Rows || status.Rejected != 0)
        {
            throw new BenchFailure(string.Create(CultureInfo.InvariantCulture,
                $"the upload completed with {status.Accepted:N0} rows accepted and {status.Rejected:N0} rejected of {options.Rows:N0}: {string.Join("; ", status.FirstRejections)}"));
        }

        var server = status.CompletedAt - status.ReceivedAt ?? TimeSpan.Zero;
        Say($"completed after {completed.TotalSeconds:0.0} s ({options.Rows / completed.TotalSeconds:N0} rows/s); waiting for the fan-out");
        Phase("fanning out");

        var check = new FanOutCheck(client, expected, alertsBefore, eventsBefore);
        var checks = new Latencies();
        FanOutState state;
        while (true)
        {
            host.ThrowIfExited();
            Pending("fan-out check");
            state = await checks.TimeAsync(() => check.CheckAsync(ct));
            Pending(null);
            lock (_gate)
                _fanOut = state;
            if (state.AllHold)
                break;
            await Task.Delay(options.Poll, ct);
        }

        var fannedOut = _clock.Elapsed;
        Say($"fanned out after {fannedOut.TotalSeconds:0.0} s");
        return new Measured(accepted202, completed, server, fannedOut, marks, latencies, checks, state);
    }

    async Task SampleAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(options.Poll);
        try
        {
            do
            {
                if (_meter.RssMegabytes() is not { } rss)
                    return;
                lock (_gate)
                {
                    _rss = rss;
                    _peakRss = Math.Max(_peakRss, rss);
                }
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException)
        {
        }
    }

    async Task PrintProgressAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(options.Progress);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
                Line(ProgressLine());
        }
        catch (OperationCanceledException)
        {
        }
    }

    string ProgressLine()
    {
        lock (_gate)
        {
            var elapsed = _clock.Elapsed;
            var line = string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalSeconds,5:0} s  {_phase}");
            if (_fanOut is { } fanOut)
                line += "  " + fanOut.Describe();
            else if (_status is { } status)
                line += string.Create(CultureInfo.InvariantCulture,
                    $" ({status.Status})  rows read {status.RowsRead:N0}/{options.Rows:N0}, accepted {status.Accepted:N0}, rejected {status.Rejected:N0}, {status.Accepted / elapsed.TotalSeconds:N0} rows/s");
            line += string.Create(CultureInfo.InvariantCulture, $"  RSS {_rss:0} MB");
            if (_pendingSince is { } since && elapsed - since > TimeSpan.FromSeconds(1))
                line += string.Create(CultureInfo.InvariantCulture, $"  ({_pending} waiting {(elapsed - since).TotalSeconds:0.0} s)");
            return line;
        }
    }

    string TimeoutMessage()
    {
        lock (_gate)
        {
            var what = _fanOut is { } fanOut ? "not fanned out: " + fanOut.Missing()
                : _status is { Status: "completed" } ? "the upload completed, but no fan-out check had answered yet"
                : _status is { } status ? string.Create(CultureInfo.InvariantCulture,
                    $"the upload was still {status.Status}: rows read {status.RowsRead:N0}/{options.Rows:N0}, accepted {status.Accepted:N0}")
                : "the POST had not been answered";
            if (_pendingSince is { } since && _clock.Elapsed - since > TimeSpan.FromSeconds(1))
                what += string.Create(CultureInfo.InvariantCulture, $"; a {_pending} had been waiting {(_clock.Elapsed - since).TotalSeconds:0.0} s");
            return string.Create(CultureInfo.InvariantCulture, $"timeout after {options.Timeout.TotalSeconds:0.#} s, {what}");
        }
    }

    void Phase(string phase)
    {
        lock (_gate)
            _phase = phase;
    }

    // What the poll loop is waiting for, so that a request that hangs shows in the progress lines while it hangs.
    void Pending(string? request)
    {
        lock (_gate)
        {
            _pendingSince = request is null ? null : _clock.Elapsed;
            _pending = request ?? "";
        }
    }

    static void Say(FormattableString message) => Line(FormattableString.Invariant(message));

    static void Line(string message) => Console.Error.WriteLine("[upload] " + message);

    static double Megabytes(long bytes) => bytes / 1048576.0;

    sealed record Measured(TimeSpan Accepted202, TimeSpan Completed, TimeSpan Server, TimeSpan FannedOut, double?[] RssMarks, Latencies StatusLatencies,
        Latencies FanOutChecks, FanOutState FanOut);
}

using System.Diagnostics;
using GlobalCommerce.Bench.OrderLoad.Hosting;
using GlobalCommerce.Bench.OrderLoad.Load;
using GlobalCommerce.Bench.OrderLoad.Measurement;

namespace GlobalCommerce.Bench.OrderLoad.Runs;

// One phase: counters before (pg_stat_statements reset first), load with a progress line every few seconds, drain
// (every accepted order ends), settle (the last orders' trailing messages, e.g. the shipment notice after Completed),
// counters after. Per-order costs are the differences divided by the orders accepted in the phase, so each phase is
// charged for all its own work.
public sealed class PhaseRunner(string mode, BenchOptions options, PlatformHosts hosts, OrderTracker tracker, CpuMonitor cpu,
    PostgresServer? postgres, string? rabbitMqEval, bool statementStats)
{
    // Orders the previous phase gave up on are still somewhere in the platform, competing with this phase's.
    long _carriedOver;

    readonly List<PhaseRecorder> _recorders = [];

    // Every phase's orders, the warm-up's included: the books check at the end looks at all of them.
    public IEnumerable<Load.OrderOutcome> AllOutcomes => _recorders.SelectMany(recorder => recorder.Outcomes);

    public PhaseRecorder? Last => _recorders.LastOrDefault();

    public async Task<PhaseResult?> RunAsync(string name, string offered, TimeSpan duration, bool measured,
        Func<PhaseRecorder, Task> load, CancellationToken cancellationToken)
    {
        hosts.ThrowIfExited();
        if (measured && statementStats)
            await postgres!.ResetStatementStatsAsync(cancellationToken);
        var before = measured ? await SnapshotAsync(cancellationToken) : null;
        var recorder = new PhaseRecorder(name, cpu, signUpInline: !measured);
        _recorders.Add(recorder);
        var clock = Stopwatch.StartNew();
        using var stopProgress = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var progress = ProgressAsync(recorder, clock, recorder.StartCpu, stopProgress.Token);

        await load(recorder);
        recorder.Close();
        if (recorder.StoppedEarly is { } why)
            RunsConsole.Progress(mode, name, why);
        var unfinished = await tracker.DrainAsync(options.DrainTimeout, cancellationToken);
        var carriedOver = _carriedOver;
        _carriedOver = unfinished;
        await stopProgress.CancelAsync();
        await progress;
        Report(recorder, clock, recorder.StartCpu, cpu.Sample(), unfinished > 0 ? $"done; {unfinished} orders did not end within {options.DrainTimeout.TotalSeconds:0}s" : "done");
        hosts.ThrowIfExited();
        if (!measured)
            return null;

        await SettleAsync(cancellationToken);
        var after = await SnapshotAsync(cancellationToken);
        WalCommits? wal = postgres is not null ? await postgres.CountCommitsAsync(before!.Wal!, after.Wal!, cancellationToken) : null;
        var statements = statementStats ? await postgres!.ReadStatementStatsAsync(hosts.DatabasePrefix!, cancellationToken) : null;
        return PhaseSummary.Summarize(name, offered, duration, recorder, before!, after, wal, statements) with { CarriedOver = carriedOver };
    }

    async Task ProgressAsync(PhaseRecorder recorder, Stopwatch clock, CpuSample start, CancellationToken cancellationToken)
    {
        var previous = start;
        using var timer = new PeriodicTimer(options.ProgressInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var now = cpu.Sample();
                Report(recorder, clock, previous, now, null);
                previous = now;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    void Report(PhaseRecorder recorder, Stopwatch clock, CpuSample from, CpuSample to, string? note)
    {
        var cores = string.Join(" ", cpu.Names.Select(name => $"{Short(name)} {to.CoresSince(from, name):0.00}"));
        RunsConsole.Progress(mode, recorder.Name,
            $"{clock.Elapsed.TotalSeconds,5:0.0}s submitted {recorder.Submitted,6} completed {recorder.Completed,6} "
            + $"failed {recorder.Failed,3} unfinished {recorder.Unfinished,4} in-flight {recorder.InFlight,5} shed {recorder.Shed,4} post-errors {recorder.PostErrors,3} | "
            + $"cores {cores} | machine {to.MachineBusySince(from):P0}{(note is null ? "" : " | " + note)}");
    }

    static string Short(string name) => name switch
    {
        ProcessNames.LoadGenerator => "bench",
        ProcessNames.RabbitMq => "rabbit",
        ProcessNames.Postgres => "pg",
        CpuMonitor.Other => "other",
        _ => name,
    };

    // Until the hosts' counters stop moving for a second (at most 15 s): the last orders' follow-up messages done.
    async Task SettleAsync(CancellationToken cancellationToken)
    {
        long last = -1;
        var stableSince = Stopwatch.GetTimestamp();
        var until = Stopwatch.GetTimestamp() + 15 * Stopwatch.Frequency;
        while (Stopwatch.GetTimestamp() < until)
        {
            var counts = Counts.Sum(await Task.WhenAll(hosts.All.Select(host => ProbeClient.ReadAsync(host.Name, host.ProbeSocket, cancellationToken))));
            var activity = counts.Total(Meters.Receive) + counts.Total(Meters.Send) + counts.Total(Meters.Publish) + counts.Total(Meters.SqliteCommits);
            if (activity != last)
            {
                last = activity;
                stableSince = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(stableSince) >= TimeSpan.FromSeconds(1))
            {
                return;
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    async Task<Snapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        var probes = Counts.Sum(await Task.WhenAll(hosts.All.Select(host => ProbeClient.ReadAsync(host.Name, host.ProbeSocket, cancellationToken))));
        var broker = rabbitMqEval is not null && hosts.Mode == BenchMode.Real ? await BrokerCounters.ReadAsync(rabbitMqEval, cancellationToken) : null;
        var wal = postgres is not null ? await postgres.WalPositionAsync(cancellationToken) : null;
        return new Snapshot(cpu.Sample(), probes, broker, wal);
    }
}

public sealed record Snapshot(CpuSample Cpu, Counts Probe, BrokerCounters? Broker, string? Wal);

// MassTransit's meter instruments and the probe's own counters (bench/Probe).
public static class Meters
{
    public const string Send = "messaging.masstransit.send";
    public const string Publish = "messaging.masstransit.publish";
    public const string Receive = "messaging.masstransit.receive";
    public const string Consume = "messaging.masstransit.consume";
    public const string ConsumeRetries = "messaging.masstransit.consume.retries";
    public const string ConsumeErrors = "messaging.masstransit.consume.errors";
    public const string SqliteCommits = "sqlite.commits";
    public const string Statements = "db.statements";
}

public static class RunsConsole
{
    public static void Progress(string mode, string phase, string line) => Console.WriteLine($"[{mode} {phase}] {line}");
}

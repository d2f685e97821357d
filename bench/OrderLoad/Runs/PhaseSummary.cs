using GlobalCommerce.Bench.OrderLoad.Load;
using GlobalCommerce.Bench.OrderLoad.Measurement;

namespace GlobalCommerce.Bench.OrderLoad.Runs;

public static class PhaseSummary
{
    public static PhaseResult Summarize(string name, string offered, TimeSpan duration, PhaseRecorder recorder,
        Snapshot before, Snapshot after, WalCommits? wal, StatementStats? statements)
    {
        var outcomes = recorder.Outcomes.ToList();
        var completed = outcomes.Where(outcome => outcome.IsCompleted).ToList();
        double orders = Math.Max(recorder.Accepted, 1);

        // The first seconds are ramp-up (nothing can complete before the first order's latency has passed).
        var window = recorder.EndedAt!.Value - recorder.StartedAt;
        var skip = TimeSpan.FromSeconds(Math.Min(3, window.TotalSeconds / 5));
        var steadyFrom = recorder.StartedAt + skip;
        var steadyTo = recorder.EndedAt.Value;
        var steadyCompleted = completed.Count(outcome => outcome.EndedAt >= steadyFrom && outcome.EndedAt <= steadyTo);
        var windowStart = recorder.StartCpu;
        var windowEnd = recorder.EndCpu!;

        var probe = after.Probe.Minus(before.Probe);
        var broker = after.Broker is not null && before.Broker is not null ? after.Broker.Minus(before.Broker) : null;
        var outgoing = Counts.Sum([Only(probe, Meters.Send), Only(probe, Meters.Publish)]);

        var messages = new MessageCounts(
            PerOrder: (broker?.Delivered ?? probe.Total(Meters.Receive)) / orders,
            Source: broker is not null ? "RabbitMQ global counters (deliveries)" : "MassTransit meter in the host (messages received by endpoints)",
            BrokerPublishedPerOrder: broker?.Received / orders,
            BrokerDeliveredPerOrder: broker?.Delivered / orders,
            BrokerUnroutablePerOrder: broker?.Unroutable / orders,
            BrokerRedelivered: broker?.Redelivered,
            SentPerOrder: probe.Total(Meters.Send) / orders,
            PublishedPerOrder: probe.Total(Meters.Publish) / orders,
            ReceivedPerOrder: probe.Total(Meters.Receive) / orders,
            ConsumedPerOrder: probe.Total(Meters.Consume) / orders,
            ConsumeRetries: probe.Total(Meters.ConsumeRetries),
            ConsumeErrors: probe.Total(Meters.ConsumeErrors),
            OutgoingByTypePerOrder: PerOrder(outgoing.ByKey(Meters.Send), orders));

        var commits = new CommitCounts(
            PerOrder: (wal?.Commits ?? probe.Total(Meters.SqliteCommits)) / orders,
            Source: wal is not null ? "PostgreSQL WAL commit records (pg_waldump), whole server" : "sqlite3_commit_hook in the host, all files",
            Aborts: wal?.Aborts,
            ByDatabasePerOrder: PerOrder(probe.ByKey(Meters.SqliteCommits), orders),
            StatementsPerOrder: probe.Total(Meters.Statements) / orders,
            StatementsByDatabasePerOrder: PerOrder(probe.ByKey(Meters.Statements), orders),
            ServerStatementsPerOrder: statements is null ? null : statements.Calls / orders,
            ServerStatementsByDatabasePerOrder: statements is null ? new Dictionary<string, double>() : PerOrder(statements.ByDatabase, orders),
            TopServerStatementsPerOrder: statements is null ? new Dictionary<string, double>()
                : statements.ByStatement.OrderByDescending(entry => entry.Value).Take(20).ToDictionary(entry => entry.Key, entry => entry.Value / orders, StringComparer.Ordinal),
            ClientCommandsPerOrder: probe.Total(Probe.HostProbe.NpgsqlCommands) is > 0 and var commands ? commands / orders : null,
            RoundTripsPerOrder: probe.Total(Probe.HostProbe.NpgsqlRoundTrips) is > 0 and var trips ? trips / orders : null,
            RoundTripsByDatabasePerOrder: PerOrder(probe.ByKey(Probe.HostProbe.NpgsqlRoundTrips), orders));

        var hostNames = probe.ByKey(Probe.HostProbe.Runtime).Keys.Select(key => key.Split(' ', 2)[0]).Distinct().Order(StringComparer.Ordinal).ToList();
        long RuntimeCounter(string host, string counter) => probe.ByKey(Probe.HostProbe.Runtime).GetValueOrDefault($"{host} {counter}");

        return new PhaseResult
        {
            Name = name,
            Offered = offered,
            DurationSeconds = duration.TotalSeconds,
            LoadSeconds = window.TotalSeconds,
            StoppedEarly = recorder.StoppedEarly,
            Submitted = recorder.Submitted,
            Accepted = recorder.Accepted,
            Completed = completed.Count,
            Failed = outcomes.Count(outcome => outcome.State is "Failed" or "Cancelled"),
            Shed503 = recorder.Shed503,
            Shed429 = recorder.Shed429,
            CustomersReused = recorder.CustomersReused,
            AllocatedBytesPerOrder = hostNames.ToDictionary(host => host, host => RuntimeCounter(host, "allocated bytes") / orders, StringComparer.Ordinal),
            JitMilliseconds = hostNames.ToDictionary(host => host, host => RuntimeCounter(host, "JIT µs") / 1000.0, StringComparer.Ordinal),
            JitMethods = hostNames.ToDictionary(host => host, host => RuntimeCounter(host, "JIT-compiled methods"), StringComparer.Ordinal),
            Unfinished = outcomes.Count(outcome => outcome.State == "Unfinished"),
            NotSent = recorder.NotSent,
            PostErrors = recorder.PostErrorReasons.ToDictionary(StringComparer.Ordinal),
            CompletedPerSecond = steadyCompleted / (window - skip).TotalSeconds,
            SteadyWindowSeconds = (window - skip).TotalSeconds,
            PostMilliseconds = Distribution.Of(outcomes.Select(outcome => outcome.PostMilliseconds)),
            EndToEndMilliseconds = Distribution.Of(completed.Select(outcome => outcome.EndToEndMilliseconds)),
            StepMilliseconds = OrderOutcome.StepNames.Select((step, i) => (step, i))
                .ToDictionary(s => s.step, s => Distribution.Of(completed.Select(outcome => outcome.StepMilliseconds[s.i])), StringComparer.Ordinal),
            GeneratorLagMilliseconds = Distribution.Of(recorder.GeneratorLag),
            PollsPerOrder = recorder.Polls / orders,
            CpuSecondsPerOrder = after.Cpu.Seconds.Keys.Where(key => key != CpuMonitor.Other).ToDictionary(key => key, key => after.Cpu.SecondsSince(before.Cpu, key) / orders, StringComparer.Ordinal),
            Cores = windowEnd.Seconds.Keys.ToDictionary(key => key, key => windowEnd.CoresSince(windowStart, key), StringComparer.Ordinal),
            MachineBusy = windowEnd.MachineBusySince(windowStart),
            Messages = messages,
            Commits = commits,
            Runtime = probe.ByKey(Probe.HostProbe.Runtime).OrderBy(entry => entry.Key, StringComparer.Ordinal)
                .ToDictionary(entry => entry.Key, entry => entry.Value, StringComparer.Ordinal),
        };
    }

    // Send and publish counts keyed by message type, merged under one kind.
    static Counts Only(Counts counts, string kind)
    {
        var only = new Counts();
        foreach (var (key, value) in counts.ByKey(kind))
            only.Add(Meters.Send, key, value);
        return only;
    }

    static Dictionary<string, double> PerOrder(IReadOnlyDictionary<string, long> counts, double orders) =>
        counts.ToDictionary(entry => entry.Key, entry => entry.Value / orders, StringComparer.Ordinal);
}

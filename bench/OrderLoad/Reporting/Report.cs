using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GlobalCommerce.Bench.OrderLoad.Measurement;
using GlobalCommerce.Bench.OrderLoad.Runs;

namespace GlobalCommerce.Bench.OrderLoad.Reporting;

// The run's results: a table per mode plus the counted details behind it, as console text, markdown and JSON.
public sealed class Report(BenchOptions options, BenchEnvironment environment, IReadOnlyList<ModeResult> modes,
    IReadOnlyDictionary<BenchMode, string> failures, DateTimeOffset finishedAt)
{
    static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    static readonly string[] Header =
    [
        "phase", "offered", "completed/s", "shed (503/429)", "POST ms p50/p95/p99", "submit→Completed ms p50/p95/p99", "CPU ms/order all",
        "roofline/s", "achieved ÷ roofline", "msgs/order", "commits/order", "statements/order", "round trips/order", "other procs' cores",
    ];

    static readonly string[] SummaryHeader = ["figure", "value", "how"];

    // The one table per mode: every figure of the issue's "Measure honestly", from the phase that defines it.
    static List<string[]> Summary(ModeResult mode)
    {
        var real = mode.Mode == BenchMode.Real;
        var max = mode.Phase("max");
        var fixedRate = mode.Phase("fixed");
        var overload = mode.Phase("overload");
        var rows = new List<string[]>();
        if (max is null)
            return rows;
        var cpu = max.CpuSecondsPerOrder;
        string Ms(string process) => cpu.ContainsKey(process) ? F(cpu[process] * 1000, "0.0") : "n/a";
        rows.Add(["completed orders/s, max phase", F(max.CompletedPerSecond, "0.0"),
            $"{max.Offered}; orders that reached Completed in the steady window ({max.SteadyWindowSeconds:0} s) / its length"]);
        if (max.Roofline is { } roof)
        {
            rows.Add(["roofline orders/s", F(roof.OrdersPerSecond, "0.0"),
                $"{roof.Cores} cores × 1000 CPU-ms / {F(roof.TotalCpuMsPerOrder, "0.0")} CPU-ms per order (sum of the processes below, this run's max phase)"]);
            rows.Add(["achieved ÷ roofline", F(roof.Ratio, "0.00"), "completed orders/s ÷ roofline"]);
        }

        rows.Add(["CPU ms/order: loadgen / api / worker / postgres / rabbitmq",
            $"{Ms(ProcessNames.LoadGenerator)} / {Ms(ProcessNames.Api)} / {(real ? Ms(ProcessNames.Worker) : "in api")} / {(real ? Ms(ProcessNames.Postgres) : "n/a")} / {(real ? Ms(ProcessNames.RabbitMq) : "n/a")}",
            (real ? $"/proc CPU time over the max phase ÷ accepted orders; postgres and rabbitmq as whole process trees; {mode.Workers} worker process(es) summed"
                : "/proc CPU time over the max phase ÷ accepted orders; embedded: workers, bus and SQLite run inside the api process")]);
        var m = max.Messages;
        rows.Add(["messages/order", real
                ? $"{F(m.BrokerPublishedPerOrder ?? double.NaN, "0.0")} published, {F(m.BrokerDeliveredPerOrder ?? double.NaN, "0.0")} delivered, {F(m.BrokerUnroutablePerOrder ?? double.NaN, "0.0")} unroutable"
                : $"{F(m.ReceivedPerOrder, "0.0")} received (in memory)",
            real ? "RabbitMQ's global counters (rabbitmqctl eval)" : "MassTransit's meter in the host (no broker to ask)"]);
        var c = max.Commits;
        rows.Add(["commits/order", F(c.PerOrder, "0.0"),
            real ? "write transactions: COMMIT records in the WAL (pg_waldump), whole server" : "write transactions: sqlite3_commit_hook in the host, every file"]);
        rows.Add(["statements/order", real
                ? (c.ServerStatementsPerOrder is { } server ? F(server, "0.0") : "n/a") + $" (EF Core commands {F(c.StatementsPerOrder, "0.0")})"
                : F(c.StatementsPerOrder, "0.0"),
            real
                ? (c.ServerStatementsPerOrder is null ? (mode.StatementStatsNote ?? "pg_stat_statements unavailable") : "pg_stat_statements calls in the platform's databases (BEGIN/COMMIT/SAVEPOINT included), reset at the phase's start")
                : "EF Core commands on SQLite in the host (no server to ask)"]);
        rows.Add(["round trips/order", c.RoundTripsPerOrder is { } trips ? F(trips, "0.0") : "n/a",
            real ? $"Npgsql socket writes in the hosts (one per wait for the server); Npgsql commands {F(c.ClientCommandsPerOrder ?? double.NaN, "0.0")}"
                : "n/a: SQLite is a library call in the same process, there is no round trip"]);
        rows.Add(["allocated KB/order: " + string.Join(" / ", max.AllocatedBytesPerOrder.Keys),
            string.Join(" / ", max.AllocatedBytesPerOrder.Values.Select(bytes => F(bytes / 1024, "0"))),
            "GC.GetTotalAllocatedBytes delta in each .NET host (probe) ÷ accepted orders"]);
        rows.Add(["JIT during the max phase", string.Join(", ", max.JitMilliseconds.Select(j => $"{j.Key} {j.Value:0} ms/{max.JitMethods.GetValueOrDefault(j.Key)} methods")),
            mode.Warmup is { } w ? $"warm-up {w.Seconds:0} s, {w.Completed} orders: {w.Ended}" : "no warm-up"]);
        if (fixedRate is not null)
        {
            var sustained = fixedRate.StoppedEarly is { } why ? $"NOT sustained: {why}"
                : fixedRate.Shed > 0 || fixedRate.Unfinished > 0 ? "NOT sustained (orders shed or unfinished)"
                : "sustained";
            rows.Add([$"submit→Completed ms p50/p95/p99 at {fixedRate.Offered}", Triple(fixedRate.EndToEndMilliseconds),
                $"{sustained}; {fixedRate.Completed} completed, {fixedRate.Unfinished} unfinished, {fixedRate.Shed} shed; server timestamps (submittedAt → Completed)"]);
        }

        if (overload is not null)
        {
            rows.Add([$"goodput completed/s at {overload.Offered}", F(overload.CompletedPerSecond, "0.0"),
                $"{overload.Accepted} accepted, {overload.Completed} completed, {overload.Failed} failed, {overload.Unfinished} unfinished after the drain"]);
            rows.Add(["goodput ÷ max", F(overload.CompletedPerSecond / max.CompletedPerSecond, "0.00"), "1.0 = overload costs no throughput"]);
            rows.Add(["shed at the door (overload phase)", $"{overload.Shed} ({overload.Shed503} × 503, {overload.Shed429} × 429)",
                $"refused POSTs, not failures; {F(overload.Submitted > 0 ? 100.0 * overload.Shed / overload.Submitted : 0, "0")} % of those sent"]);
        }

        if (mode.Books is { } books)
        {
            rows.Add(["lost / doubled / stuck orders", $"{books.Lost} / {books.Doubled} / {books.Stuck}" + (books.StockMismatches > 0 ? $"; {books.StockMismatches} stock mismatches" : "; stock exact"),
                $"books of all {books.Orders} orders of the run from the domain databases ({(real ? $"{mode.Workers} worker process(es)" : "embedded")})"]);
        }

        var reused = mode.Phases.Sum(phase => phase.CustomersReused);
        rows.Add(["customers", $"{mode.CustomersSignedUp} signed up, {reused} orders on a reused customer",
            $"one new customer per order; sign-up (register + log in) before each phase, {mode.SignupSeconds:0} s, not measured"]);
        return rows;
    }

    public string Render(bool markdown)
    {
        var text = new StringBuilder();
        text.AppendLine(markdown ? "# Order benchmark" : "==== order benchmark ====");
        text.AppendLine($"{finishedAt:yyyy-MM-dd HH:mm} UTC, {environment.Commit}");
        text.AppendLine($"machine: {environment.Machine}");
        text.AppendLine($"phases of {options.Duration.TotalSeconds:0} s (completed/s counts the load window minus its first fifth, at most 3 s), "
            + $"warm-up at least {options.Warmup.TotalSeconds:0} s and until the JIT settles (at most {options.WarmupMax.TotalSeconds:0} s), "
            + $"raw baselines {options.RawDuration.TotalSeconds:0} s each; one new customer per order, signed up before each phase (not measured)");
        foreach (var mode in modes)
        {
            text.AppendLine();
            text.AppendLine(markdown ? $"## {mode.Mode}" : $"---- {mode.Mode}: {mode.Description} ----");
            if (markdown)
                text.AppendLine(mode.Description).AppendLine();
            if (mode.Phases.Count > 0)
            {
                var summary = Summary(mode);
                text.Append(markdown ? MarkdownTable(SummaryHeader, summary) : AlignedTable(SummaryHeader, summary));
                text.AppendLine();
                text.AppendLine(markdown ? "Per phase:" : "per phase:");
                text.AppendLine();
            }

            var rows = mode.Phases.Select(phase => Row(mode, phase)).ToList();
            text.Append(markdown ? MarkdownTable(Header, rows) : AlignedTable(Header, rows));
            text.AppendLine();
            if (markdown)
                text.AppendLine("```text");
            text.Append(Details(mode));
            if (markdown)
                text.AppendLine("```");
        }

        foreach (var (mode, error) in failures)
        {
            text.AppendLine();
            text.AppendLine(markdown ? $"## {mode}" : $"---- {mode} ----");
            text.AppendLine($"FAILED: {error}");
        }

        return text.ToString();
    }

    public IReadOnlyList<string> Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var stem = Path.Combine(directory, finishedAt.ToString("yyyyMMdd-HHmmss", Invariant));
        File.WriteAllText(stem + ".md", Render(markdown: true));
        var json = new JsonSerializerOptions
        {
            WriteIndented = true,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            Converters = { new JsonStringEnumConverter() },
        };
        File.WriteAllText(stem + ".json", JsonSerializer.Serialize(new
        {
            finishedAt,
            environment.Commit,
            environment.Machine,
            options = new
            {
                Modes = options.Modes.Select(mode => mode.ToString()),
                DurationSeconds = options.Duration.TotalSeconds,
                options.Rate,
                options.Clients,
                WarmupSeconds = options.Warmup.TotalSeconds,
                WarmupMaxSeconds = options.WarmupMax.TotalSeconds,
                options.WarmupClients,
                options.Overload,
                options.Workers,
                Cores = Environment.ProcessorCount,
                RawDurationSeconds = options.RawDuration.TotalSeconds,
                options.BusPublishers,
                options.DbConnections,
                options.Pollers,
                PollIntervalMilliseconds = options.PollInterval.TotalMilliseconds,
            },
            modes,
            failures,
        }, json));
        return [stem + ".md", stem + ".json"];
    }

    static string[] Row(ModeResult mode, PhaseResult phase)
    {
        var c = phase.Commits;
        return
        [
            phase.Name,
            phase.StoppedEarly is null ? phase.Offered : phase.Offered + $" (stopped at {phase.LoadSeconds:0} s)",
            F(phase.CompletedPerSecond, "0.0"),
            $"{phase.Shed503}/{phase.Shed429}",
            Triple(phase.PostMilliseconds),
            Triple(phase.EndToEndMilliseconds),
            phase.Roofline is { } roof ? F(roof.TotalCpuMsPerOrder, "0.0") : "",
            phase.Roofline is { } r ? F(r.OrdersPerSecond, "0") : "",
            phase.Roofline is { } q ? F(q.Ratio, "0.00") : "",
            F(phase.Messages.PerOrder, "0.0"),
            F(c.PerOrder, "0.0"),
            c.ServerStatementsPerOrder is { } server ? F(server, "0") : F(c.StatementsPerOrder, "0"),
            c.RoundTripsPerOrder is { } trips ? F(trips, "0") : "n/a",
            F(phase.Cores.GetValueOrDefault(CpuMonitor.Other), "0.00"),
        ];
    }

    static string Details(ModeResult mode)
    {
        var text = new StringBuilder();
        var bus = mode.Bus;
        text.AppendLine($"raw bus: {bus.Transport}, {bus.Publishers} publishers, trivial consumer: {bus.ConsumedPerSecond:0} msgs/s consumed "
            + $"({bus.Messages} messages, published at {bus.PublishedPerSecond:0}/s); CPU ms per message: {Cpu(bus.CpuSecondsPerMessage)}");
        var db = mode.Database;
        text.AppendLine($"raw DB: {db.Engine}, {db.Connections} connections, SELECT FOR UPDATE + UPDATE + INSERT outbox: {db.TransactionsPerSecond:0} tx/s "
            + $"({db.Transactions} transactions; commits counted in the window: {db.CountedCommits}); CPU ms per tx: {Cpu(db.CpuSecondsPerTransaction)}");
        text.AppendLine(Targets(mode));
        if (mode.Warmup is { } warmup)
            text.AppendLine($"warm-up: {warmup.Seconds:0} s, {warmup.Completed} orders; {warmup.Ended}");
        if (mode.Books is { } books)
        {
            text.AppendLine($"books: {books.Summary}");
            foreach (var violation in books.Violations.Take(20))
                text.AppendLine($"  {violation}");
        }
        text.AppendLine($"products ordered (stock at start): {string.Join(", ", mode.Products)}");
        text.AppendLine($"host logs (kept with GC_BENCH_KEEP_TMP=1): {mode.WorkDirectory}");
        foreach (var phase in mode.Phases)
        {
            text.AppendLine();
            text.AppendLine($"phase {phase.Name} ({phase.Offered}, {phase.DurationSeconds:0} s):");
            if (phase.CarriedOver > 0)
                text.AppendLine($"  {phase.CarriedOver} orders of the previous phase were still unfinished when this phase started; their work is counted here too");
            if (phase.StoppedEarly is { } why)
                text.AppendLine($"  {why}: the platform does not sustain this rate; throughput below is what it completed meanwhile");
            text.AppendLine($"  orders: submitted {phase.Submitted}, accepted {phase.Accepted}, completed {phase.Completed}, failed {phase.Failed}, "
                + $"unfinished {phase.Unfinished}, shed {phase.Shed503} × 503 + {phase.Shed429} × 429, not sent (generator cap) {phase.NotSent}, "
                + $"on a reused customer {phase.CustomersReused}; POST errors: "
                + (phase.PostErrors.Count == 0 ? "none" : string.Join(", ", phase.PostErrors.Select(e => $"{e.Key} ×{e.Value}"))));
            text.AppendLine($"  completed/s over the steady {phase.SteadyWindowSeconds:0} s: {phase.CompletedPerSecond:0.0}; submit→Completed max {phase.EndToEndMilliseconds.Max:0} ms; "
                + $"POST max {phase.PostMilliseconds.Max:0} ms; GET polls/order {phase.PollsPerOrder:0.0}"
                + (phase.GeneratorLagMilliseconds.Count > 0 ? $"; send-schedule lag p99 {phase.GeneratorLagMilliseconds.P99:0.0} ms" : ""));
            text.AppendLine($"  steps, server timestamps, ms p50/p95/p99: "
                + string.Join("; ", phase.StepMilliseconds.Select(step => $"{step.Key} {Triple(step.Value)}")));
            text.AppendLine($"  cores in use during the load: {string.Join(", ", phase.Cores.Select(c => $"{c.Key} {c.Value:0.00}"))}; "
                + $"machine {phase.MachineBusy:P0} busy ({Environment.ProcessorCount} CPUs)");
            text.AppendLine($"  CPU ms/order: {Cpu(phase.CpuSecondsPerOrder)}");
            var m = phase.Messages;
            if (m.BrokerDeliveredPerOrder is not null)
            {
                text.AppendLine($"  messages/order at the broker: published {m.BrokerPublishedPerOrder:0.00}, delivered {m.BrokerDeliveredPerOrder:0.00}, "
                    + $"unroutable {m.BrokerUnroutablePerOrder:0.00}; redelivered in the phase: {m.BrokerRedelivered}");
            }

            text.AppendLine($"  messages/order in the hosts (MassTransit meter): sent {m.SentPerOrder:0.00}, published {m.PublishedPerOrder:0.00}, "
                + $"received {m.ReceivedPerOrder:0.00}, consumed {m.ConsumedPerOrder:0.00}; consume retries {m.ConsumeRetries}, faults {m.ConsumeErrors}");
            text.AppendLine($"  outgoing by type per order: {string.Join(", ", m.OutgoingByTypePerOrder.Select(t => $"{t.Key} {t.Value:0.00}"))}");
            var c = phase.Commits;
            text.AppendLine($"  commits/order: {c.PerOrder:0.00} ({c.Source}{(c.Aborts is { } aborts ? $"; aborted write transactions {aborts}" : "")})"
                + (c.ByDatabasePerOrder.Count > 0 ? $"; by file: {string.Join(", ", c.ByDatabasePerOrder.Select(d => $"{d.Key} {d.Value:0.00}"))}" : ""));
            text.AppendLine($"  SQL statements/order (EF Core): {c.StatementsPerOrder:0.0}; by database: "
                + string.Join(", ", c.StatementsByDatabasePerOrder.Select(d => $"{d.Key} {d.Value:0.0}")));
            if (c.ServerStatementsPerOrder is { } server)
            {
                text.AppendLine($"  statements/order at the server (pg_stat_statements): {server:0.0}; by database: "
                    + string.Join(", ", c.ServerStatementsByDatabasePerOrder.OrderByDescending(d => d.Value).Select(d => $"{d.Key} {d.Value:0.0}")));
                text.AppendLine("  most frequent statements per order:");
                foreach (var (statement, perOrder) in c.TopServerStatementsPerOrder.Take(12))
                    text.AppendLine($"    {perOrder,6:0.00}  {statement}");
            }

            if (c.RoundTripsPerOrder is { } trips)
            {
                text.AppendLine($"  Npgsql per order: {c.ClientCommandsPerOrder:0.0} commands, {trips:0.0} round trips; round trips by database: "
                    + string.Join(", ", c.RoundTripsByDatabasePerOrder.Select(d => $"{d.Key} {d.Value:0.0}")));
            }

            if (phase.Roofline is { } roof)
            {
                text.AppendLine($"  roofline: {roof.Cores} cores × 1000 / ({string.Join(" + ", roof.CpuMsPerOrder.Select(p => $"{p.Key} {p.Value:0.0}"))} = "
                    + $"{roof.TotalCpuMsPerOrder:0.0} CPU-ms/order) = {roof.OrdersPerSecond:0.0} orders/s; achieved {roof.Achieved:0.0}/s = {roof.Ratio:0.00}");
            }
            foreach (var host in phase.Runtime.Keys.Select(key => key.Split(' ', 2)[0]).Distinct())
                text.AppendLine($"  runtime {host}: {Runtime(phase, host)}");
            if (phase.Limit is { } limit)
            {
                text.AppendLine($"  limit: raw bus {bus.ConsumedPerSecond:0} / {m.PerOrder:0.00} msgs = {limit.ByBus:0}/s; raw DB {db.TransactionsPerSecond:0} / "
                    + $"{c.PerOrder:0.00} commits = {limit.ByDatabase:0}/s; tightest {limit.Tightest:0}/s ({limit.LimitedBy}); "
                    + $"achieved {phase.CompletedPerSecond:0.0}/s = {limit.Ratio:0.00} of it");
            }
        }

        return text.ToString();
    }

    // Issue #11's targets, judged on this run (they mean what they say only on a quiet 2-core machine).
    static string Targets(ModeResult mode)
    {
        var maximum = mode.Phase("max");
        var fixedRate = mode.Phase("fixed");
        var overload = mode.Phase("overload");
        if (maximum is null || fixedRate is null)
            return "targets: not judged (no phases)";
        var real = mode.Mode == BenchMode.Real;
        var judged = new List<string>();
        void Judge(string what, bool met, string value) => judged.Add($"{what}: {(met ? "MET" : "NOT MET")} ({value})");
        var wanted = real ? 120 : 150;
        Judge($"max ≥ {wanted}/s", maximum.CompletedPerSecond >= wanted, $"{maximum.CompletedPerSecond:0.0}/s");
        if (!fixedRate.Offered.StartsWith("100/s", StringComparison.Ordinal))
            judged.Add("p99 < 1 s at 100/s: not judged (another rate was offered)");
        else
            Judge("p99 submit→Completed < 1 s at 100/s", fixedRate.StoppedEarly is null && fixedRate.Unfinished == 0 && fixedRate.EndToEndMilliseconds.P99 < 1000,
                $"p99 {fixedRate.EndToEndMilliseconds.P99:0} ms{(fixedRate.StoppedEarly is null ? "" : ", rate not sustained")}");
        if (real && maximum.Roofline is { } roof)
        {
            Judge("CPU ≤ 15 ms/order all-in", roof.TotalCpuMsPerOrder <= 15, $"{roof.TotalCpuMsPerOrder:0.0} ms");
            if (maximum.Commits.ServerStatementsPerOrder is { } statements)
                Judge("statements ≤ 100/order", statements <= 100, $"{statements:0}");
            Judge("commits ≤ 14/order", maximum.Commits.PerOrder <= 14, $"{maximum.Commits.PerOrder:0.0}");
            if (maximum.AllocatedBytesPerOrder.TryGetValue(ProcessNames.Worker, out var worker))
                Judge("worker ≤ 500 KB allocated/order", worker <= 500 * 1024, $"{worker / 1024:0} KB");
        }

        if (real && overload is not null)
            Judge("overload goodput within 10 % of max", overload.CompletedPerSecond >= 0.9 * maximum.CompletedPerSecond,
                $"{overload.CompletedPerSecond / maximum.CompletedPerSecond:0.00} of max");
        return "issue #11 targets: " + string.Join("; ", judged);
    }

    static string Runtime(PhaseResult phase, string host)
    {
        long Get(string counter) => phase.Runtime.GetValueOrDefault($"{host} {counter}");
        double orders = Math.Max(phase.Accepted, 1);
        return $"{Get("allocated bytes") / orders / 1024:0} KB allocated/order; GCs gen0 {Get("gen0 collections")}, gen1 {Get("gen1 collections")}, "
            + $"gen2 {Get("gen2 collections")}, pauses {Get("GC pause µs") / 1000.0:0} ms; JIT {Get("JIT µs") / 1000.0:0} ms for {Get("JIT-compiled methods")} methods; "
            + $"{Get("thread-pool work items") / orders:0} thread-pool work items/order; {Get("lock contentions") / orders:0.0} lock contentions/order";
    }

    static string AlignedTable(string[] header, List<string[]> rows)
    {
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, header.Length).Select(i => all.Max(row => row[i].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in all)
            text.AppendLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        return text.ToString();
    }

    static string MarkdownTable(string[] header, List<string[]> rows)
    {
        var text = new StringBuilder();
        text.AppendLine("| " + string.Join(" | ", header) + " |");
        text.AppendLine("|" + string.Concat(header.Select(_ => "---|")));
        foreach (var row in rows)
            text.AppendLine("| " + string.Join(" | ", row) + " |");
        return text.ToString();
    }

    static string Triple(Distribution distribution) =>
        distribution.Count == 0 ? "n/a" : $"{F(distribution.P50, "0")}/{F(distribution.P95, "0")}/{F(distribution.P99, "0")}";

    static string Cpu(IReadOnlyDictionary<string, double> secondsPerUnit) =>
        string.Join(", ", secondsPerUnit.Select(entry => $"{entry.Key} {entry.Value * 1000:0.000}"));

    static string F(double value, string format) => double.IsFinite(value) ? value.ToString(format, Invariant) : "n/a";

}

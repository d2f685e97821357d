using GlobalCommerce.Bench.OrderLoad.Baselines;
using GlobalCommerce.Bench.OrderLoad.Hosting;
using GlobalCommerce.Bench.OrderLoad.Load;
using GlobalCommerce.Bench.OrderLoad.Measurement;

namespace GlobalCommerce.Bench.OrderLoad.Runs;

// One platform shape, start to finish: the raw baselines first (while nothing else runs), then the platform on
// fresh databases, an unmeasured warm-up (until the JIT has settled), and three measured phases, each on customers
// signed up before it: max (closed loop: the capacity), fixed (--rate offered, open loop: the latency), overload
// (--overload times the measured capacity offered, open loop: the goodput). Last, the books of every order.
public sealed class ModeRunner(BenchMode mode, BenchOptions options, BenchEnvironment environment)
{
    public async Task<ModeResult> RunAsync(CancellationToken cancellationToken)
    {
        var name = mode.ToString().ToLowerInvariant();
        var work = Path.Combine(options.WorkDirectory, name);
        Directory.CreateDirectory(work);
        var cpu = new CpuMonitor();
        cpu.Watch(ProcessNames.LoadGenerator, Environment.ProcessId, tree: false);

        PostgresServer? postgres = null;
        string? statementNote = null;
        var statementStats = false;
        if (mode == BenchMode.Real)
        {
            environment.RequireServers();
            postgres = new PostgresServer(environment.Postgres!, environment.PostgresDataDirectory!, environment.PostgresBinDirectory!);
            await postgres.KeepWalAsync(cancellationToken);
            statementStats = await postgres.EnableStatementStatsAsync(cancellationToken);
            if (!statementStats)
                statementNote = "pg_stat_statements is not preloaded on this server (servers.sh's durable profile preloads it when the package has it)";
            cpu.Watch(ProcessNames.Postgres, postgres.PostmasterPid, tree: true);
            cpu.Watch(ProcessNames.RabbitMq, (await BrokerCounters.ReadAsync(environment.RabbitMqEval!, cancellationToken)).BeamPid, tree: true);
        }

        Say(name, "raw bus baseline ...");
        var bus = mode == BenchMode.Real
            ? await RawBus.RabbitMqAsync(new Uri(environment.RabbitMq!), options, cpu, cancellationToken)
            : await RawBus.InMemoryAsync(options, cpu, cancellationToken);
        Say(name, $"raw bus: {bus.ConsumedPerSecond:0} msgs/s consumed ({bus.Messages} messages, {bus.Publishers} publishers, {bus.Transport})");

        Say(name, "raw database baseline ...");
        var database = postgres is not null
            ? await RawPostgres.RunAsync(postgres, options, cpu, cancellationToken)
            : await RawSqlite.RunAsync(Path.Combine(work, "raw"), options, cpu, cancellationToken);
        Say(name, $"raw database: {database.TransactionsPerSecond:0} tx/s ({database.Transactions} transactions, {database.Connections} connections, "
            + $"{database.CountedCommits} commits counted, {database.Engine})");

        if (options.BaselinesOnly)
            return new ModeResult(mode, "raw baselines only", bus, database, [], [], work);

        Say(name, "starting the platform ...");
        var workers = mode == BenchMode.Real ? options.Workers : 0;
        await using var hosts = await PlatformHosts.StartAsync(mode, environment, work, workers, options.HostEnvironment, cancellationToken);
        foreach (var host in hosts.All)
            cpu.Watch(host.Name, host.Pid, tree: false);
        Say(name, hosts.Describe());

        using var api = new OrderApi(hosts.Api.Address);
        var customers = new CustomerPool(api, options.SignupClients);
        await using var tracker = new OrderTracker(api, options.Pollers, options.PollInterval);
        var products = new ProductPicker(await PlentifulProductsAsync(api, cancellationToken));
        Say(name, $"ordering from {products.Skus.Count} products with >= 1000 in stock: {string.Join(", ", products.Skus)}");
        var books = await Books.CaptureAsync(hosts, postgres, cancellationToken);
        var generator = new LoadGenerator(api, tracker, products, customers, options);
        var phases = new PhaseRunner(name, options, hosts, tracker, cpu, postgres, environment.RabbitMqEval, statementStats);

        // Gentle on purpose: a cold platform (JIT, pools, EF models) must not start the measured phases with a backlog.
        // And long enough: tiered compilation recompiles every hot method once more after its first 30 calls (and again
        // after its instrumented tier with dynamic PGO), which on a small machine competes with the load for a while;
        // the warm-up lasts at least --warmup, then until the hosts' JIT has settled, at most --warmup-max. It signs up
        // its customers as it goes (nothing here is measured), so the sign-up code is warm too.
        WarmupResult? warmup = null;
        var warmupRate = 1.0;
        double? warmupCpuPerOrder = null;
        if (options.WarmupMax > TimeSpan.Zero)
        {
            var clients = Math.Min(options.Clients, options.WarmupClients);
            var (seconds, completed, ended, cpuPerOrder) = await WarmUpAsync(name, hosts, cpu, phases, generator, "warmup", clients,
                options.Warmup, options.WarmupMax, cancellationToken);
            warmupRate = Math.Max(completed / Math.Max(seconds, 1), 1);
            warmupCpuPerOrder = cpuPerOrder;

            // Then at the max phase's concurrency, until the JIT settles again: more requests at once take paths the
            // gentle stage never did (the admission limit's refusals, more pooled contexts and connections opened) and
            // make other methods hot enough to be recompiled. Measured, they were 600-1,100 methods and 1-4 s of the
            // API's JIT inside the max phase.
            if (options.Clients > clients)
            {
                var (fullSeconds, fullCompleted, fullEnded, _) = await WarmUpAsync(name, hosts, cpu, phases, generator, "warmup-full",
                    options.Clients, FullConcurrencyWarmup, FullConcurrencyWarmupMax, cancellationToken);
                (seconds, completed) = (seconds + fullSeconds, completed + fullCompleted);
                ended = $"{ended}; then {options.Clients} clients for {fullSeconds:0} s: {fullEnded}";
            }

            var jit = Counts.Sum(await Task.WhenAll(hosts.All.Select(host => ProbeClient.ReadAsync(host.Name, host.ProbeSocket, cancellationToken))))
                .ByKey(Probe.HostProbe.Runtime).Where(entry => entry.Key.EndsWith(" JIT-compiled methods", StringComparison.Ordinal))
                .ToDictionary(entry => entry.Key.Split(' ')[0], entry => entry.Value, StringComparer.Ordinal);
            warmup = new WarmupResult(seconds, completed, ended, jit);
        }

        // Max: as many customers as the capacity could possibly use. The gentle warm-up's rate with fewer clients, scaled
        // by the client count, bounded by its own roofline (CPU per order on these cores) once the JIT is quiet.
        var maxRate = warmupRate * Math.Max(1.0, (double)options.Clients / Math.Min(options.Clients, options.WarmupClients));
        if (warmupCpuPerOrder is { } perOrder)
            maxRate = Math.Min(maxRate, Math.Max(2 * Environment.ProcessorCount / perOrder, warmupRate * 1.5));

        await customers.TopUpAsync(name, "max", (int)Math.Ceiling(maxRate * 1.25 * options.Duration.TotalSeconds) + 2 * options.Clients,
            options.ProgressInterval, cancellationToken);
        await WaitForJitToQuietAsync(name, hosts, cancellationToken);
        var maximum = await phases.RunAsync("max", $"{options.Clients} clients closed loop", options.Duration, measured: true,
            recorder => generator.ClosedLoopAsync(recorder, options.Clients, options.Duration, cancellationToken), cancellationToken);

        await customers.TopUpAsync(name, "fixed", (int)Math.Ceiling(options.Rate * options.Duration.TotalSeconds) + 10, options.ProgressInterval, cancellationToken);
        await WaitForJitToQuietAsync(name, hosts, cancellationToken);
        var fixedRate = await phases.RunAsync("fixed", $"{options.Rate:0}/s open loop", options.Duration, measured: true,
            recorder => generator.OpenLoopAsync(recorder, options.Rate, options.Duration, options.MaxBacklog, cancellationToken), cancellationToken);

        var overloadRate = Math.Max(options.Overload * maximum!.CompletedPerSecond, 1);
        await customers.TopUpAsync(name, "overload", (int)Math.Ceiling(overloadRate * options.Duration.TotalSeconds) + 10, options.ProgressInterval, cancellationToken);
        await WaitForJitToQuietAsync(name, hosts, cancellationToken);
        var overload = await phases.RunAsync("overload", $"{overloadRate:0}/s open loop ({options.Overload:0.#}× max)", options.Duration, measured: true,
            recorder => generator.OpenLoopAsync(recorder, overloadRate, options.Duration, maxBacklog: null, cancellationToken), cancellationToken);

        Say(name, "checking the books (every order of the run: lost, doubled, stuck, stock) ...");
        var report = await books.CheckAsync([.. phases.AllOutcomes], api, tracker, options.DrainTimeout, TimeSpan.FromSeconds(30),
            line => Say(name, line), cancellationToken);
        Say(name, $"books: {report.Summary}");
        foreach (var violation in report.Violations.Take(20))
            Say(name, $"  {violation}");

        string[] processes = mode == BenchMode.Real
            ? [ProcessNames.LoadGenerator, ProcessNames.Api, ProcessNames.Worker, ProcessNames.Postgres, ProcessNames.RabbitMq]
            : [ProcessNames.LoadGenerator, ProcessNames.Api];
        PhaseResult WithLimits(PhaseResult phase) => Limits.Apply(phase, bus, database) with { Roofline = Roofline.Of(phase, processes) };
        return new ModeResult(mode, hosts.Describe(), bus, database,
            [WithLimits(maximum), WithLimits(fixedRate!), WithLimits(overload!)], products.Skus, work)
        {
            Workers = workers,
            Warmup = warmup,
            CustomersSignedUp = customers.SignedUp,
            SignupSeconds = customers.SignupSeconds,
            Books = report,
            StatementStatsNote = statementNote,
        };
    }

    static readonly TimeSpan FullConcurrencyWarmup = TimeSpan.FromSeconds(20);
    static readonly TimeSpan FullConcurrencyWarmupMax = TimeSpan.FromSeconds(60);

    // One unmeasured closed-loop stage: at least `minimum`, then until the hosts' JIT has settled, at most `maximum`.
    // Returns its length, completed orders, how it ended and the CPU seconds per completed order of every process.
    static async Task<(double Seconds, long Completed, string Ended, double? CpuPerOrder)> WarmUpAsync(string mode, PlatformHosts hosts,
        CpuMonitor cpu, PhaseRunner phases, LoadGenerator generator, string stage, int clients, TimeSpan minimum, TimeSpan maximum,
        CancellationToken cancellationToken)
    {
        using var settled = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watch = WaitForJitToSettleAsync(mode, hosts, minimum, settled, cancellationToken);
        await phases.RunAsync(stage, $"{clients} clients", maximum, measured: false,
            recorder => generator.ClosedLoopAsync(recorder, clients, maximum, cancellationToken, settled.Token), cancellationToken);
        await settled.CancelAsync();
        var ended = await watch;
        var recorder = phases.Last!;
        var seconds = (recorder.EndedAt!.Value - recorder.StartedAt).TotalSeconds;
        double? cpuPerOrder = recorder is { EndCpu: { } end } && recorder.Completed > 0
            ? cpu.Names.Where(n => n != CpuMonitor.Other).Sum(n => end.SecondsSince(recorder.StartCpu, n)) / recorder.Completed
            : null;
        return (seconds, recorder.Completed, ended, cpuPerOrder);
    }

    const int SettledJitMethodsPer2Seconds = 20;

    // Signing up a phase's customers (a thousand register + log-in requests) makes the sign-up code hot just before the
    // phase: tiered compilation then recompiles it while the phase runs (an earlier run charged 6.6 s of the API's JIT,
    // 750 methods, to the max phase). With no load on, that queue drains in a few seconds: wait for it, at most 30 s.
    static async Task WaitForJitToQuietAsync(string mode, PlatformHosts hosts, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long? previous = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            var compiled = await JitCompiledMethodsAsync(hosts, cancellationToken);
            if (previous is { } before && compiled - before == 0)
            {
                Say(mode, $"the JIT is quiet ({clock.Elapsed.TotalSeconds:0} s after the sign-up)");
                return;
            }

            previous = compiled;
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        Say(mode, "the JIT was still compiling 30 s after the sign-up; measuring anyway");
    }

    // Returns how the warm-up ended.
    static async Task<string> WaitForJitToSettleAsync(string mode, PlatformHosts hosts, TimeSpan minimum, CancellationTokenSource settled,
        CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long? previous = null;
        try
        {
            while (!settled.IsCancellationRequested)
            {
                var compiled = await JitCompiledMethodsAsync(hosts, cancellationToken);
                if (previous is { } before && clock.Elapsed >= minimum && compiled - before < SettledJitMethodsPer2Seconds)
                {
                    var how = $"the JIT settled ({compiled - before} methods compiled in the last 2 s) after {clock.Elapsed.TotalSeconds:0} s";
                    Say(mode, $"warm-up: {how}");
                    await settled.CancelAsync();
                    return how;
                }

                previous = compiled;
                await Task.Delay(TimeSpan.FromSeconds(2), settled.Token);
            }
        }
        catch (OperationCanceledException) when (settled.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
        }

        Say(mode, "warm-up: the JIT was still busy after the longest warm-up (--warmup-max); measuring anyway");
        return "the JIT was still busy at --warmup-max";
    }

    // Methods the hosts' JIT has compiled so far, summed over every host (their probes).
    static async Task<long> JitCompiledMethodsAsync(PlatformHosts hosts, CancellationToken cancellationToken)
    {
        var counts = Counts.Sum(await Task.WhenAll(hosts.All.Select(host => ProbeClient.ReadAsync(host.Name, host.ProbeSocket, cancellationToken))));
        return counts.ByKey(Probe.HostProbe.Runtime).Where(entry => entry.Key.EndsWith(" JIT-compiled methods", StringComparison.Ordinal))
            .Sum(entry => entry.Value);
    }

    static async Task<IReadOnlyList<Product>> PlentifulProductsAsync(OrderApi api, CancellationToken cancellationToken)
    {
        // The API seeds the demo catalog while it starts; wait until the plentiful products are there.
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var plentiful = (await api.ProductsAsync(cancellationToken)).Where(product => product.Available >= 1000).ToList();
            if (plentiful.Count > 0)
                return plentiful;
            if (DateTime.UtcNow > until)
                throw new InvalidOperationException("the demo catalog has no product with 1000 or more in stock");
            await Task.Delay(200, cancellationToken);
        }
    }

    public static void Say(string mode, string message) => Console.WriteLine($"[{mode}] {message}");
}

public static class ProcessNames
{
    public const string LoadGenerator = "load generator";
    public const string Postgres = "postgres";
    public const string RabbitMq = "rabbitmq";
    public const string Api = "api";
    public const string Worker = "worker";
}

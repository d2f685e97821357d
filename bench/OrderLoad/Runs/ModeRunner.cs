using GlobalCommerce.Bench.OrderLoad.Baselines;
using GlobalCommerce.Bench.OrderLoad.Hosting;
using GlobalCommerce.Bench.OrderLoad.Load;
using GlobalCommerce.Bench.OrderLoad.Measurement;

namespace GlobalCommerce.Bench.OrderLoad.Runs;

// One platform shape, start to finish: the raw baselines first (while nothing else runs), then the platform on
// fresh databases, an unmeasured warm-up, the fixed-rate phase and the maximum phase.
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
        if (mode == BenchMode.Real)
        {
            environment.RequireServers();
            postgres = new PostgresServer(environment.Postgres!, environment.PostgresDataDirectory!, environment.PostgresBinDirectory!);
            await postgres.KeepWalAsync(cancellationToken);
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
        await using var hosts = await PlatformHosts.StartAsync(mode, environment, work, options.HostEnvironment, cancellationToken);
        foreach (var host in hosts.All)
            cpu.Watch(host.Name, host.Pid, tree: false);
        Say(name, hosts.Describe());

        using var api = new OrderApi(hosts.Api.Address);
        await api.SignInAsync(cancellationToken);
        await using var tracker = new OrderTracker(api, options.Pollers, options.PollInterval);
        var products = new ProductPicker(await PlentifulProductsAsync(api, cancellationToken));
        Say(name, $"ordering from {products.Skus.Count} products with >= 1000 in stock: {string.Join(", ", products.Skus)}");
        var generator = new LoadGenerator(api, tracker, products, options);
        var phases = new PhaseRunner(name, options, hosts, tracker, cpu, postgres, environment.RabbitMqEval);

        // Gentle on purpose: a cold platform (JIT, pools, EF models) must not start the measured phases with a backlog.
        // And long enough: tiered compilation recompiles every hot method once more after its first 30 calls, which on
        // a small machine competes with the load for a while; the warm-up lasts until the hosts' JIT has settled.
        if (options.Warmup > TimeSpan.Zero)
        {
            var clients = Math.Min(options.Clients, 8);
            using var settled = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var watch = WaitForJitToSettleAsync(name, hosts, options.Warmup, settled, cancellationToken);
            await phases.RunAsync("warmup", $"{clients} clients", MaxWarmup, measured: false,
                recorder => generator.ClosedLoopAsync(recorder, clients, MaxWarmup, cancellationToken, settled.Token), cancellationToken);
            await settled.CancelAsync();
            await watch;
        }

        var fixedRate = await phases.RunAsync("fixed", $"{options.Rate:0}/s open loop", options.Duration, measured: true,
            recorder => generator.OpenLoopAsync(recorder, options.Rate, options.Duration, cancellationToken), cancellationToken);
        var maximum = await phases.RunAsync("max", $"{options.Clients} clients closed loop", options.Duration, measured: true,
            recorder => generator.ClosedLoopAsync(recorder, options.Clients, options.Duration, cancellationToken), cancellationToken);

        return new ModeResult(mode, hosts.Describe(), bus, database,
            [Limits.Apply(fixedRate!, bus, database), Limits.Apply(maximum!, bus, database)],
            products.Skus, work);
    }

    static readonly TimeSpan MaxWarmup = TimeSpan.FromSeconds(60);
    const int SettledJitMethodsPer2Seconds = 20;

    static async Task WaitForJitToSettleAsync(string mode, PlatformHosts hosts, TimeSpan minimum, CancellationTokenSource settled,
        CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long? previous = null;
        try
        {
            while (!settled.IsCancellationRequested)
            {
                var counts = Counts.Sum(await Task.WhenAll(hosts.All.Select(host => ProbeClient.ReadAsync(host.Name, host.ProbeSocket, cancellationToken))));
                var compiled = counts.ByKey(Probe.HostProbe.Runtime).Where(entry => entry.Key.EndsWith(" JIT-compiled methods", StringComparison.Ordinal))
                    .Sum(entry => entry.Value);
                if (previous is { } before && clock.Elapsed >= minimum && compiled - before < SettledJitMethodsPer2Seconds)
                {
                    Say(mode, $"warm-up: the JIT has settled ({compiled - before} methods compiled in the last 2 s) after {clock.Elapsed.TotalSeconds:0} s");
                    await settled.CancelAsync();
                    return;
                }

                previous = compiled;
                await Task.Delay(TimeSpan.FromSeconds(2), settled.Token);
            }
        }
        catch (OperationCanceledException) when (settled.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Say(mode, "warm-up: the JIT was still busy after the longest warm-up; measuring anyway");
        }
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

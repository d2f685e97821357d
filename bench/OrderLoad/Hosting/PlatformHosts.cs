using System.Globalization;

namespace GlobalCommerce.Bench.OrderLoad.Hosting;

// The platform under test in one of its two shapes; always started fresh (new databases / data directory).
public sealed class PlatformHosts : IAsyncDisposable
{
    PlatformHosts(BenchMode mode, HostProcess api, HostProcess? worker, string? databasePrefix)
    {
        Mode = mode;
        Api = api;
        Worker = worker;
        DatabasePrefix = databasePrefix;
    }

    public BenchMode Mode { get; }

    public HostProcess Api { get; }

    public HostProcess? Worker { get; }

    // Real mode: every domain database of this run is named DatabasePrefix + domain.
    public string? DatabasePrefix { get; }

    public IEnumerable<HostProcess> All => Worker is null ? [Api] : [Api, Worker];

    public static async Task<PlatformHosts> StartAsync(BenchMode mode, BenchEnvironment environment, string workDirectory,
        IReadOnlyDictionary<string, string> extra, CancellationToken cancellationToken)
    {
        var probe = Path.Combine(AppContext.BaseDirectory, "GlobalCommerce.Bench.Probe.dll");
        Directory.CreateDirectory(workDirectory);
        if (mode == BenchMode.Embedded)
        {
            // The embedded default as shipped (in-memory bus, SQLite, workers in the API process), on an empty data directory.
            var data = Path.Combine(workDirectory, "data");
            var api = HostProcess.Start("api", environment.HostDll("Api"), probe, workDirectory,
                new Dictionary<string, string>(extra) { ["Commerce__DataDirectory"] = data });
            await using var guard = new StartGuard(api);
            await api.WaitUntilReadyAsync(TimeSpan.FromSeconds(90), cancellationToken);
            guard.Keep();
            return new PlatformHosts(mode, api, null, null);
        }

        environment.RequireServers();
        // As tests/EndToEnd.Tests/RealModePlatform.cs, with a fresh set of databases per run.
        var prefix = "bench" + Guid.NewGuid().ToString("N")[..8] + "_";
        var common = new Dictionary<string, string>(extra)
        {
            ["Commerce__Transport"] = "RabbitMq",
            ["Commerce__RabbitMqUrl"] = environment.RabbitMq!,
            ["Commerce__DatabaseProvider"] = "Postgres",
            ["Commerce__PostgresConnection"] = environment.Postgres!,
            ["Commerce__DatabasePrefix"] = prefix,
        };
        var apiHost = HostProcess.Start("api", environment.HostDll("Api"), probe, workDirectory,
            new Dictionary<string, string>(common) { ["Commerce__RunWorkers"] = "false" });
        await using var apiGuard = new StartGuard(apiHost);
        var worker = HostProcess.Start("worker", environment.HostDll("Workers"), probe, workDirectory, common);
        await using var workerGuard = new StartGuard(worker);
        await Task.WhenAll(
            apiHost.WaitUntilReadyAsync(TimeSpan.FromSeconds(90), cancellationToken),
            worker.WaitUntilReadyAsync(TimeSpan.FromSeconds(90), cancellationToken));
        apiGuard.Keep();
        workerGuard.Keep();
        return new PlatformHosts(mode, apiHost, worker, prefix);
    }

    public void ThrowIfExited()
    {
        foreach (var host in All)
            host.ThrowIfExited();
    }

    public string Describe() => Mode == BenchMode.Embedded
        ? string.Create(CultureInfo.InvariantCulture, $"embedded default: one API process (pid {Api.Pid}) with in-memory bus + SQLite")
        : string.Create(CultureInfo.InvariantCulture, $"real mode: API (pid {Api.Pid}, Commerce__RunWorkers=false) + 1 worker (pid {Worker!.Pid}) on RabbitMQ + PostgreSQL, databases {DatabasePrefix}*");

    public async ValueTask DisposeAsync()
    {
        if (Worker is not null)
            await Worker.DisposeAsync();
        await Api.DisposeAsync();
    }

    // Stops a host whose sibling failed to start.
    sealed class StartGuard(HostProcess host) : IAsyncDisposable
    {
        bool _keep;

        public void Keep() => _keep = true;

        public ValueTask DisposeAsync() => _keep ? ValueTask.CompletedTask : host.DisposeAsync();
    }
}

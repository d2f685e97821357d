using Npgsql;

namespace GlobalCommerce.EndToEnd.Tests.Faults;

// The platform in real mode for one fault test, and the handles to hurt it: the API and worker(s) as separate
// processes on their own RabbitMQ virtual host and their own databases, with deadlines short enough for CI.
public sealed class FaultPlatform : IAsyncDisposable
{
    static readonly string[] Domains = ["orders", "inventory", "fraud", "payments", "shipping", "notifications", "catalog", "auth", "analytics"];

    // The databases whose stream outbox a relay empties: the worker's three and the API's auth_db.
    public static readonly IReadOnlyList<string> StreamOutboxes = ["orders", "payments", "inventory", "auth"];

    readonly Dictionary<string, string> _workerEnvironment;
    // Every host ever started, killed ones included: their logs explain a failure.
    readonly List<(string Name, HostProcess Host)> _hosts = [];
    readonly HostProcess?[] _workers;
    int _workerStarts;

    FaultPlatform(TestBroker broker, string virtualHost, string postgres, string prefix, Dictionary<string, string> workerEnvironment, int workers)
    {
        Broker = broker;
        VirtualHost = virtualHost;
        PostgresServer = postgres;
        DatabasePrefix = prefix;
        _workerEnvironment = workerEnvironment;
        _workers = new HostProcess?[workers];
    }

    public TestBroker Broker { get; }

    public string VirtualHost { get; }

    public string PostgresServer { get; }

    public string DatabasePrefix { get; }

    public HttpClient Client { get; private set; } = null!;

    // workerSettings: extra environment for the worker(s) only, e.g. a fault-injection switch.
    public static async Task<FaultPlatform> StartAsync(IReadOnlyDictionary<string, string>? workerSettings = null, int workers = 1)
    {
        var postgres = Environment.GetEnvironmentVariable("GC_TEST_POSTGRES")
            ?? throw new InvalidOperationException("GC_TEST_POSTGRES is not set: run the suite with scripts/test.sh.");
        var broker = TestBroker.FromEnvironment();
        var virtualHost = await broker.CreateVirtualHostAsync();
        var prefix = "fault" + Guid.NewGuid().ToString("N")[..8] + "_";
        var common = FaultSettings.Common();
        common["Commerce__Mode"] = "Distributed";
        common["Commerce__RabbitMqUrl"] = broker.AddressOf(virtualHost).ToString();
        common["Commerce__PostgresConnection"] = postgres;
        common["Commerce__DatabasePrefix"] = prefix;
        // The scenarios order from the demo catalog, which the distributed mode does not seed by itself.
        common["Commerce__SeedDemoCatalog"] = "true";
        // A scenario's whole burst may be in flight at once while a worker is down; the limit on orders in flight has its
        // own tests.
        common["Commerce__Orders__Admission__MaxInFlight"] = "1000000";
        var workerEnvironment = new Dictionary<string, string>(common);
        foreach (var (key, value) in workerSettings ?? new Dictionary<string, string>())
            workerEnvironment[key] = value;

        var platform = new FaultPlatform(broker, virtualHost, postgres, prefix, workerEnvironment, workers);
        try
        {
            var apiEnvironment = new Dictionary<string, string>(common);
            foreach (var (key, value) in RealModeIdentity.Environment())
                apiEnvironment[key] = value;
            var api = HostProcess.Start("Api", apiEnvironment);
            platform._hosts.Add(("api", api));
            var ready = new List<Task> { api.WaitUntilReadyAsync(TimeSpan.FromSeconds(120)) };
            for (var i = 0; i < workers; i++)
                ready.Add(platform.StartWorkerAsync(i));
            await Task.WhenAll(ready);
            platform.Client = new HttpClient { BaseAddress = api.Address, Timeout = TimeSpan.FromSeconds(30) };
            await RealModeIdentity.AuthorizeShopperAsync(platform.Client);
            return platform;
        }
        catch
        {
            await platform.DisposeAsync();
            throw;
        }
    }

    public Task StartWorkerAsync(int index = 0) => StartWorkerAsync(new Dictionary<string, string?>(), index);

    // changes: for this start only, variables added to the worker's environment or (null) left out of it, e.g. a restart
    // without the fault-injection switch the worker was first started with.
    public async Task StartWorkerAsync(IReadOnlyDictionary<string, string?> changes, int index = 0)
    {
        if (_workers[index] is not null)
            throw new InvalidOperationException($"Worker {index} is running; kill it first.");
        var environment = new Dictionary<string, string>(_workerEnvironment);
        foreach (var (key, value) in changes)
        {
            if (value is null)
                environment.Remove(key);
            else
                environment[key] = value;
        }

        var worker = HostProcess.Start("Workers", environment);
        _workers[index] = worker;
        _hosts.Add(($"worker {index} start {++_workerStarts}", worker));
        await worker.WaitUntilReadyAsync(TimeSpan.FromSeconds(120));
    }

    public async Task KillWorkerAsync(int index = 0)
    {
        var worker = _workers[index] ?? throw new InvalidOperationException($"Worker {index} is not running.");
        await worker.KillAsync();
        _workers[index] = null;
    }

    // For a worker meant to end by itself (a fault-injection kill switch): waits for its process to exit and returns it
    // (exit code, output), its slot free for a restart; null if it is still running when the timeout passes.
    public async Task<HostProcess?> WaitForWorkerExitAsync(TimeSpan timeout, int index = 0)
    {
        var worker = _workers[index] ?? throw new InvalidOperationException($"Worker {index} is not running.");
        if (!await worker.WaitForExitAsync(timeout))
            return null;
        _workers[index] = null;
        return worker;
    }

    public string WorkerOutput(int index = 0) =>
        string.Concat(_hosts.Where(h => h.Name.StartsWith($"worker {index}", StringComparison.Ordinal)).Select(h => h.Host.Output));

    public async Task AssertHoldsAsync(InvariantReport report)
    {
        if (!report.Holds)
            Assert.Fail(report + "\n" + await DiagnoseAsync());
    }

    // For a failure message: what the broker and each live host's readiness say, and the last lines of every host's output.
    public async Task<string> DiagnoseAsync(int lines = 60)
    {
        var report = new System.Text.StringBuilder();
        try
        {
            report.AppendLine(await Broker.DescribeAsync(VirtualHost));
        }
        catch (InvalidOperationException exception)
        {
            report.AppendLine(exception.Message);
        }

        // The saga rows of unfinished orders: whether a deadline is armed says whether the sweeper can still move them.
        try
        {
            await using var orders = await OpenDatabaseAsync("orders");
            await using var command = new NpgsqlCommand(
                "SELECT \"CorrelationId\", \"CurrentState\", \"DeadlineAt\", \"StepAttempts\", \"UpdatedAt\" FROM order_states " +
                "WHERE \"CurrentState\" NOT IN ('Completed', 'Failed', 'Cancelled') ORDER BY \"UpdatedAt\" LIMIT 20", orders);
            await using var reader = await command.ExecuteReaderAsync();
            report.AppendLine("unfinished saga rows (id, state, deadline, attempts, updated):");
            while (await reader.ReadAsync())
                report.AppendLine($"  {reader.GetGuid(0)} {reader.GetString(1)} {(reader.IsDBNull(2) ? "no deadline" : reader.GetFieldValue<DateTimeOffset>(2).ToString("O"))} {reader.GetInt32(3)} {reader.GetFieldValue<DateTimeOffset>(4):O}");
            report.AppendLine($"  now {DateTimeOffset.UtcNow:O}");
        }
        catch (NpgsqlException exception)
        {
            report.AppendLine($"saga rows unreadable: {exception.Message}");
        }

        var live = _workers.Select((worker, i) => (Name: $"worker {i}", Host: worker)).Prepend(("api", _hosts[0].Host));
        foreach (var (name, host) in live.Where(h => h.Host is not null))
            report.AppendLine($"{name} /health/ready: {(host!.IsListening ? await HealthProbe.ReadyAsync(host.Address) : "not listening yet")}");

        foreach (var (name, host) in _hosts)
            report.AppendLine($"--- {name} ---").AppendLine(string.Join("\n", host.Output.Split('\n').TakeLast(lines)));
        return report.ToString();
    }

    // No pooling: a fault test may terminate every connection to these databases, and a pooled one would come back dead.
    public async Task<NpgsqlConnection> OpenDatabaseAsync(string domain)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(PostgresServer)
        {
            Database = DatabasePrefix + domain,
            Pooling = false,
        }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    // Orders accepted by the API that have not ended yet, straight from order_db.
    public async Task<int> OrdersInFlightAsync()
    {
        await using var connection = await OpenDatabaseAsync("orders");
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM order_requests r LEFT JOIN order_states s ON s.\"CorrelationId\" = r.\"OrderId\" " +
            "WHERE s.\"CurrentState\" IS NULL OR s.\"CurrentState\" NOT IN ('Completed', 'Failed', 'Cancelled')", connection);
        return (int)(long)(await command.ExecuteScalarAsync())!;
    }

    // Inbox rows committed with messages to send and not marked delivered yet, per domain database: what a crash after the
    // commit leaves behind for the redelivery or the sweep.
    public async Task<IReadOnlyDictionary<string, int>> UndeliveredInboxRowsAsync()
    {
        var counts = new Dictionary<string, int>();
        foreach (var domain in Domains)
        {
            NpgsqlConnection connection;
            try
            {
                connection = await OpenDatabaseAsync(domain);
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.InvalidCatalogName)
            {
                continue;
            }

            await using var _ = connection;
            await using var exists = new NpgsqlCommand("SELECT to_regclass('inbox_state') IS NOT NULL", connection);
            if (!(bool)(await exists.ExecuteScalarAsync())!)
                continue;
            await using var command = new NpgsqlCommand(
                "SELECT count(*) FROM inbox_state WHERE \"Consumed\" IS NOT NULL AND \"Delivered\" IS NULL", connection);
            counts[domain] = (int)(long)(await command.ExecuteScalarAsync())!;
        }

        return counts;
    }

    // What an operator's pg_terminate_backend (or a failover) does to the hosts: every open connection to this
    // platform's databases is cut mid-whatever. Returns how many were cut.
    public async Task<int> TerminateDatabaseConnectionsAsync()
    {
        await using var connection = await OpenServerAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname LIKE @prefix AND pid <> pg_backend_pid()",
            connection);
        command.Parameters.AddWithValue("prefix", DatabasePrefix.Replace("_", "\\_", StringComparison.Ordinal) + "%");
        return (int)(long)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        foreach (var (_, host) in _hosts)
            await host.DisposeAsync();
        // For post-mortems: GC_FAULT_LOGS=DIR keeps every host's whole output, a failure message shows only the tails.
        if (Environment.GetEnvironmentVariable("GC_FAULT_LOGS") is { Length: > 0 } logs)
        {
            Directory.CreateDirectory(Path.Combine(logs, VirtualHost));
            foreach (var (name, host) in _hosts)
                await File.WriteAllTextAsync(Path.Combine(logs, VirtualHost, name.Replace(' ', '-') + ".log"), host.Output);
        }

        await Broker.DeleteVirtualHostAsync(VirtualHost);
        await using var connection = await OpenServerAsync();
        foreach (var domain in Domains)
        {
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{DatabasePrefix}{domain}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    async Task<NpgsqlConnection> OpenServerAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(PostgresServer) { Database = "postgres", Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}

using System.Data.Common;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace GlobalCommerce.EndToEnd.Tests.Faults;

// The embedded default for one fault test: the API process as `dotnet run --project src/Api` starts it with no Commerce
// settings (in-memory bus, SQLite files, the sagas and every consumer in the same process), on a data folder of its own,
// and the handle to hurt it: SIGKILL, then a restart on the same folder and the same address. Only the limits a burst
// of test orders would hit and the deadlines are changed, as for FaultPlatform.
public sealed class EmbeddedPlatform : IAsyncDisposable
{
    // IdentitySeeder.DemoPassword: the embedded default seeds support@demo.local, who may read and cancel any order.
    const string DemoPassword = "Demo-Passw0rd!";
    const string ShopperPassword = "Lantern-Quartz-42";
    static readonly string[] Domains = ["orders", "inventory", "fraud", "payments", "shipping", "notifications", "catalog", "sandbox_gateway", "auth", "analytics"];

    // The databases whose stream outbox a relay of the embedded default empties.
    public static readonly IReadOnlyList<string> StreamOutboxes = ["orders", "payments", "inventory", "auth"];

    readonly Dictionary<string, string> _environment;
    // Every host ever started, killed ones included: their logs explain a failure.
    readonly List<(string Name, HostProcess Host)> _hosts = [];
    readonly List<HttpClient> _clients = [];
    HostProcess? _api;

    EmbeddedPlatform(string dataDirectory, Uri address)
    {
        DataDirectory = dataDirectory;
        Address = address;
        _environment = FaultSettings.Common();
        _environment["Commerce__DataDirectory"] = dataDirectory;
        // Every shopper registers from 127.0.0.1 and logs in again after each restart (sessions live in memory). At the
        // default 100,000 PBKDF2 iterations those logins alone keep two cores busy for seconds after a restart.
        _environment["Commerce__Identity__RateLimits__RegisterPerIp"] = "1000000";
        _environment["Commerce__Identity__RateLimits__LoginPerIp"] = "1000000";
        _environment["Commerce__Identity__PasswordHashIterations"] = "1000";
    }

    public string DataDirectory { get; }

    public Uri Address { get; }

    // Reads the catalog and any order, cancels: the demo support account.
    public HttpClient Support { get; private set; } = null!;

    // One client per registered shopper: the orders' customers.
    public IReadOnlyList<HttpClient> Shoppers { get; private set; } = [];

    public static async Task<EmbeddedPlatform> StartAsync(int shoppers)
    {
        var data = Path.Combine(Path.GetTempPath(), "gc-embedded-kill-" + Guid.NewGuid().ToString("N")[..8]);
        var platform = new EmbeddedPlatform(data, new Uri($"http://127.0.0.1:{FreePorts.ForRestarts()}"));
        try
        {
            await platform.RestartAsync();
            platform.Support = platform.Client("support@demo.local", DemoPassword);
            using var anonymous = new HttpClient { BaseAddress = platform.Address, Timeout = TimeSpan.FromSeconds(30) };
            var emails = Enumerable.Range(0, shoppers).Select(i => $"shopper-{i}-{Guid.NewGuid():N}@example.test").ToList();
            await Parallel.ForEachAsync(emails, new ParallelOptions { MaxDegreeOfParallelism = 2 }, async (email, cancellationToken) =>
            {
                var registered = await anonymous.PostAsJsonAsync("/api/auth/register", new { email, password = ShopperPassword }, cancellationToken);
                if (!registered.IsSuccessStatusCode)
                    throw new InvalidOperationException($"register answered {registered.StatusCode}: {await registered.Content.ReadAsStringAsync(cancellationToken)}");
            });
            platform.Shoppers = [.. emails.Select(email => platform.Client(email, ShopperPassword))];
            return platform;
        }
        catch
        {
            await platform.DisposeAsync();
            throw;
        }
    }

    // Starts the API on the data folder and address it had (the first start creates them). changes: for this start only,
    // variables added to its environment, e.g. a fault-injection switch.
    public async Task RestartAsync(IReadOnlyDictionary<string, string>? changes = null)
    {
        if (_api is not null)
            throw new InvalidOperationException("The API is running; kill it first.");
        var environment = new Dictionary<string, string>(_environment);
        foreach (var (key, value) in changes ?? new Dictionary<string, string>())
            environment[key] = value;
        _api = HostProcess.Start("Api", environment, address: Address);
        _hosts.Add((_hosts.Count == 0 ? "api start" : $"api restart {_hosts.Count}", _api));
        await _api.WaitUntilReadyAsync(TimeSpan.FromSeconds(120));
    }

    // For an API meant to end by itself (a fault-injection kill switch): true once its process has exited, its place
    // free for a restart; false if it is still running when the timeout passes.
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        var api = _api ?? throw new InvalidOperationException("The API is not running.");
        if (!await api.WaitForExitAsync(timeout))
            return false;
        _api = null;
        return true;
    }

    public string Output => string.Concat(_hosts.Select(h => h.Host.Output));

    // SIGKILL (Process.Kill): no graceful shutdown; whatever the in-memory bus held dies with the process.
    public async Task KillAsync()
    {
        var api = _api ?? throw new InvalidOperationException("The API is not running.");
        await api.KillAsync();
        _api = null;
    }

    // A domain's SQLite file, read-only and unpooled (the API may be killed and restarted around it).
    public async Task<DbConnection> OpenDatabaseAsync(string domain)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(DataDirectory, domain + ".db"),
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        await connection.OpenAsync();
        return connection;
    }

    // Orders accepted by the API that have not ended yet, straight from orders.db.
    public async Task<int> OrdersInFlightAsync()
    {
        await using var connection = await OpenDatabaseAsync("orders");
        await using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT count(*) FROM order_requests r LEFT JOIN order_states s ON s.\"CorrelationId\" = r.\"OrderId\" " +
            "WHERE s.\"CurrentState\" IS NULL OR s.\"CurrentState\" NOT IN ('Completed', 'Failed', 'Cancelled')";
        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    // The headline of a failure: the accepted orders that never ended, by state, and the stock still reserved, by the
    // state of the order holding it.
    public async Task<string> SummarizeAsync(IReadOnlyList<OrderOutcome> orders)
    {
        var report = new StringBuilder();
        var unfinished = orders.Where(o => !o.IsTerminal).ToList();
        report.Append($"{unfinished.Count} of {orders.Count} accepted orders never reached Completed, Failed or Cancelled");
        if (unfinished.Count > 0)
        {
            var sagaless = await OrdersWithoutSagaAsync();
            report.Append(": ").AppendJoin(", ", unfinished.GroupBy(o => o.State).OrderByDescending(g => g.Count()).Select(g =>
                g.Key == "Submitted"
                    ? $"{g.Count()} Submitted ({g.Count(o => sagaless.Contains(o.OrderId))} of them never reached the saga: no saga row)"
                    : $"{g.Count()} {g.Key}"));
        }

        report.AppendLine(".");
        try
        {
            var stock = await QueryAsync("inventory", "SELECT count(*), coalesce(sum(\"Reserved\"), 0) FROM stock_items WHERE \"Reserved\" > 0",
                r => (Products: r.GetInt32(0), Units: r.GetInt32(1)));
            var held = await QueryAsync("inventory",
                "SELECT a.\"OrderId\", sum(l.\"Quantity\") FROM allocations a JOIN allocation_lines l ON l.\"OrderId\" = a.\"OrderId\" " +
                "WHERE a.\"Status\" = 'Reserved' GROUP BY a.\"OrderId\"", r => (OrderId: r.GetGuid(0), Units: r.GetInt32(1)));
            var stateOf = orders.ToDictionary(o => o.OrderId, o => o.State);
            report.Append($"{stock[0].Units} units left reserved on {stock[0].Products} products");
            if (held.Count > 0)
            {
                report.Append(", held by ").AppendJoin(", ", held.GroupBy(h => stateOf.GetValueOrDefault(h.OrderId, "unknown")).OrderByDescending(g => g.Sum(h => h.Units))
                    .Select(g => $"{g.Count()} {g.Key} orders ({g.Sum(h => h.Units)} units)"));
            }

            report.AppendLine(".");
        }
        catch (SqliteException exception)
        {
            report.AppendLine($"stock unreadable: {exception.Message}");
        }

        return report.ToString();
    }

    // For a failure message: the unfinished orders by state with their saga rows, what is still waiting in the outboxes,
    // readiness, and the last lines of every start's output.
    public async Task<string> DiagnoseAsync(int lines = 40)
    {
        var report = new StringBuilder();
        try
        {
            var byState = await QueryAsync("orders",
                "SELECT coalesce(s.\"CurrentState\", 'no saga row'), count(*), count(s.\"DeadlineAt\") FROM order_requests r " +
                "LEFT JOIN order_states s ON s.\"CorrelationId\" = r.\"OrderId\" " +
                "WHERE s.\"CurrentState\" IS NULL OR s.\"CurrentState\" NOT IN ('Completed', 'Failed', 'Cancelled') GROUP BY 1 ORDER BY 2 DESC",
                r => $"  {r.GetString(0)}: {r.GetInt64(1)} orders, {r.GetInt64(2)} with a deadline armed");
            report.AppendLine("unfinished orders in orders.db by saga state (an order with no saga row is answered as Submitted):");
            report.AppendLine(byState.Count == 0 ? "  none" : string.Join("\n", byState));
            var rows = await QueryAsync("orders",
                "SELECT id, state, deadline, attempts, updated FROM (SELECT r.\"OrderId\" AS id, coalesce(s.\"CurrentState\", 'no saga row') AS state, " +
                "s.\"DeadlineAt\" AS deadline, s.\"StepAttempts\" AS attempts, s.\"UpdatedAt\" AS updated, " +
                "row_number() OVER (PARTITION BY s.\"CurrentState\" ORDER BY r.\"AcceptedAt\") AS n FROM order_requests r " +
                "LEFT JOIN order_states s ON s.\"CorrelationId\" = r.\"OrderId\" " +
                "WHERE s.\"CurrentState\" IS NULL OR s.\"CurrentState\" NOT IN ('Completed', 'Failed', 'Cancelled')) WHERE n <= 5 ORDER BY state, n",
                r => $"  {r.GetGuid(0)} {r.GetString(1)} {(r.IsDBNull(2) ? "no deadline" : FromBinary(r.GetInt64(2)).ToString("O"))} " +
                    $"{(r.IsDBNull(3) ? "-" : r.GetInt32(3))} {(r.IsDBNull(4) ? "-" : FromBinary(r.GetInt64(4)).ToString("O"))}");
            report.AppendLine("the first five unfinished orders of each state (id, state, deadline, attempts, updated):");
            report.AppendLine(string.Join("\n", rows));
            report.AppendLine($"  now {DateTimeOffset.UtcNow:O}");
        }
        catch (SqliteException exception)
        {
            report.AppendLine($"saga rows unreadable: {exception.Message}");
        }

        // The outbox tables as they are today; the redesign may name them otherwise, which is no failure of this test.
        var waiting = new List<string>();
        foreach (var domain in Domains)
        {
            foreach (var table in new[] { "outbox_message", "bus_outbox_message", "stream_outbox" })
            {
                try
                {
                    var count = (await QueryAsync(domain, $"SELECT count(*) FROM {table}", r => r.GetInt64(0)))[0];
                    if (count > 0)
                        waiting.Add($"{domain}.{table} {count}");
                }
                catch (SqliteException)
                {
                }
            }
        }

        report.AppendLine($"messages waiting in outboxes: {(waiting.Count == 0 ? "none" : string.Join(", ", waiting))}");
        if (_api is not null)
            report.AppendLine($"api /health/ready: {await HealthProbe.ReadyAsync(Address)}");

        foreach (var (name, host) in _hosts)
            report.AppendLine($"--- {name} ---").AppendLine(string.Join("\n", host.Output.Split('\n').TakeLast(lines)));
        return report.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
            client.Dispose();
        foreach (var (_, host) in _hosts)
            await host.DisposeAsync();
        // For post-mortems: GC_FAULT_LOGS=DIR keeps every start's whole output and the SQLite files.
        if (Environment.GetEnvironmentVariable("GC_FAULT_LOGS") is { Length: > 0 } logs)
        {
            var folder = Path.Combine(logs, Path.GetFileName(DataDirectory));
            Directory.CreateDirectory(folder);
            foreach (var (name, host) in _hosts)
                await File.WriteAllTextAsync(Path.Combine(folder, name.Replace(' ', '-') + ".log"), host.Output);
            if (Directory.Exists(DataDirectory))
            {
                foreach (var file in Directory.EnumerateFiles(DataDirectory, "*.db*"))
                    File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
            }
        }

        if (Directory.Exists(DataDirectory))
            Directory.Delete(DataDirectory, recursive: true);
    }

    HttpClient Client(string email, string password)
    {
        var client = new HttpClient(new LoggedIn(email, password) { InnerHandler = new SocketsHttpHandler() })
        {
            BaseAddress = Address,
            Timeout = TimeSpan.FromSeconds(30),
        };
        _clients.Add(client);
        return client;
    }

    // Rows of a query on a domain's SQLite file (or "streams", the embedded stream log).
    public async Task<List<T>> QueryAsync<T>(string domain, string sql, Func<DbDataReader, T> read)
    {
        await using var connection = await OpenDatabaseAsync(domain);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
            rows.Add(read(reader));
        return rows;
    }

    async Task<HashSet<Guid>> OrdersWithoutSagaAsync() =>
        [.. await QueryAsync("orders",
            "SELECT r.\"OrderId\" FROM order_requests r LEFT JOIN order_states s ON s.\"CorrelationId\" = r.\"OrderId\" WHERE s.\"CorrelationId\" IS NULL",
            r => r.GetGuid(0))];

    // EF Core's DateTimeOffsetToBinaryConverter, which the platform uses for every DateTimeOffset on SQLite.
    static DateTimeOffset FromBinary(long value) =>
        new(new DateTime((value >> 11) * 1000), TimeSpan.FromMinutes((value << 53) >> 53));

    // A shopper's (or support's) client: logs in on first use and again whenever the API answers 401. The embedded
    // default keeps sessions in memory, so a restart ends every session, as it does for a real user of it.
    sealed class LoggedIn(string email, string password) : DelegatingHandler
    {
        readonly SemaphoreSlim _gate = new(1, 1);
        string? _token;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var token = _token ?? await LogInAsync(request.RequestUri!, null, cancellationToken);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var response = await base.SendAsync(request, cancellationToken);
            if (response.StatusCode != HttpStatusCode.Unauthorized)
                return response;
            response.Dispose();
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await LogInAsync(request.RequestUri!, token, cancellationToken));
            return await base.SendAsync(request, cancellationToken);
        }

        // One login at a time per account; a request that saw its token refused does not log in again if another did already.
        async Task<string> LogInAsync(Uri address, string? refused, CancellationToken cancellationToken)
        {
            await _gate.WaitAsync(cancellationToken);
            try
            {
                if (_token is not null && _token != refused)
                    return _token;
                using var login = new HttpRequestMessage(HttpMethod.Post, new Uri(address, "/api/auth/login"))
                {
                    Content = JsonContent.Create(new { email, password }),
                };
                using var response = await base.SendAsync(login, cancellationToken);
                // A restarting API is a network error or a 5xx: the caller's retry loop tries again.
                if ((int)response.StatusCode >= 500)
                    throw new HttpRequestException($"login as {email} answered {(int)response.StatusCode}");
                if (!response.IsSuccessStatusCode)
                    throw new InvalidOperationException($"login as {email} answered {response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                _token = (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("accessToken").GetString()!;
                return _token;
            }
            finally
            {
                _gate.Release();
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                _gate.Dispose();
            base.Dispose(disposing);
        }
    }
}

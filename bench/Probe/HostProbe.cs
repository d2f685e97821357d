using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace GlobalCommerce.Bench.Probe;

// Exact counts from inside a host, for what no server can count for us: messages on the in-memory bus and commits in
// SQLite files. Bus messages come from MassTransit's own meter; SQLite write commits from sqlite3_commit_hook, which
// fires once per committed write transaction (implicit ones included, read-only ones never); SQL statements from EF
// Core's diagnostic events; PostgreSQL commands and round trips from Npgsql's own meter (a command = one
// db.client.operation.duration measurement; a round trip = one flush of Npgsql's write buffer to the socket, which it
// does exactly once before it waits for the server's answer: COMMIT, SAVEPOINT and a pool reset's DISCARD ALL that
// travel on their own count, those pipelined in front of a command do not). The benchmark reads a snapshot over a
// Unix socket whenever it wants one.
public static class HostProbe
{
    public const string SocketVariable = "GC_BENCH_PROBE_SOCKET";

    const string MassTransitMeter = "MassTransit";
    const string MessageTypeTag = "messaging.masstransit.message_type";
    const string EndpointTag = "messaging.masstransit.endpoint";
    const string NpgsqlMeter = "Npgsql";
    const string NpgsqlOperation = "db.client.operation.duration";
    const string NpgsqlBytesWritten = "db.client.operation.npgsql.bytes_written";

    public const string NpgsqlCommands = "npgsql.commands";
    public const string NpgsqlRoundTrips = "npgsql.roundtrips";

    static readonly ConcurrentDictionary<(string Kind, string Key), StrongBox<long>> Counts = new();

    // Rooted here: a collected listener stops counting silently.
    static MeterListener? _meters;
    static IDisposable? _diagnostics;
    static Socket? _server;

    public static void Start()
    {
        var path = Environment.GetEnvironmentVariable(SocketVariable);
        if (string.IsNullOrEmpty(path))
            return;

        ListenToMassTransit();
        _diagnostics = DiagnosticListener.AllListeners.Subscribe(new EfCoreObserver());
        Serve(path);
    }

    public static StrongBox<long> Counter(string kind, string key) => Counts.GetOrAdd((kind, key), _ => new StrongBox<long>());

    public static void Increment(StrongBox<long> counter, long by = 1) => Interlocked.Add(ref counter.Value, by);

    // Totals only: the in-progress gauges are counters too, but go up and down.
    static void ListenToMassTransit()
    {
        string[] totals = ["messaging.masstransit.send", "messaging.masstransit.publish", "messaging.masstransit.receive",
            "messaging.masstransit.consume", "messaging.masstransit.consume.retries", "messaging.masstransit.consume.errors"];
        _meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == MassTransitMeter && instrument is Counter<long> && totals.Contains(instrument.Name))
                    listener.EnableMeasurementEvents(instrument);
                if (instrument.Meter.Name == NpgsqlMeter && instrument.Name is NpgsqlOperation or NpgsqlBytesWritten)
                    listener.EnableMeasurementEvents(instrument);
            },
        };
        _meters.SetMeasurementEventCallback<double>((instrument, _, tags, _) => CountNpgsql(instrument, tags));
        _meters.SetMeasurementEventCallback<int>((instrument, _, tags, _) => CountNpgsql(instrument, tags));
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Meter.Name == NpgsqlMeter)
            {
                CountNpgsql(instrument, tags);
                return;
            }

            var label = "";
            foreach (var tag in tags)
            {
                if (tag.Key is MessageTypeTag or EndpointTag)
                {
                    label = tag.Value?.ToString() ?? "";
                    break;
                }
            }

            Increment(Counter(instrument.Name, label), value);
        });
        _meters.Start();
    }

    // One event per command or per socket write, keyed by database (from the pool name, the connection string without
    // its password). The pool name is parsed once per pool: the probe must not allocate per event in the host it measures.
    static readonly ConcurrentDictionary<string, (StrongBox<long> Commands, StrongBox<long> RoundTrips)> Pools = new(StringComparer.Ordinal);

    static void CountNpgsql(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var pool = "";
        foreach (var tag in tags)
        {
            if (tag.Key.EndsWith("pool.name", StringComparison.Ordinal) && tag.Value is string name)
                pool = name;
        }

        var counters = Pools.GetOrAdd(pool, static name =>
        {
            var database = "";
            foreach (var part in name.Split(';'))
            {
                var pair = part.Split('=', 2);
                if (pair.Length == 2 && pair[0].Trim().Equals("Database", StringComparison.OrdinalIgnoreCase))
                    database = pair[1].Trim();
            }

            return (Counter(NpgsqlCommands, database), Counter(NpgsqlRoundTrips, database));
        });
        Increment(instrument.Name == NpgsqlOperation ? counters.Commands : counters.RoundTrips);
    }

    static void Serve(string path)
    {
        File.Delete(path);
        _server = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _server.Bind(new UnixDomainSocketEndPoint(path));
        _server.Listen(8);
        var thread = new Thread(() =>
        {
            while (true)
            {
                using var client = _server.Accept();
                client.Send(Encoding.UTF8.GetBytes(Snapshot()));
                client.Shutdown(SocketShutdown.Both);
            }
        })
        {
            IsBackground = true,
            Name = "bench-probe",
        };
        thread.Start();
    }

    // One "kind<TAB>key<TAB>value" line per counter, then the runtime's own cumulative counters: what a phase cost in
    // allocation, garbage collection, JIT compilation, thread-pool work and lock contention.
    static string Snapshot()
    {
        var text = new StringBuilder();
        foreach (var ((kind, key), value) in Counts)
            Line(text, kind, key, Interlocked.Read(ref value.Value));
        Line(text, Runtime, "allocated bytes", GC.GetTotalAllocatedBytes());
        Line(text, Runtime, "gen0 collections", GC.CollectionCount(0));
        Line(text, Runtime, "gen1 collections", GC.CollectionCount(1));
        Line(text, Runtime, "gen2 collections", GC.CollectionCount(2));
        Line(text, Runtime, "GC pause µs", (long)GC.GetTotalPauseDuration().TotalMicroseconds);
        Line(text, Runtime, "JIT-compiled methods", System.Runtime.JitInfo.GetCompiledMethodCount());
        Line(text, Runtime, "JIT µs", (long)System.Runtime.JitInfo.GetCompilationTime().TotalMicroseconds);
        Line(text, Runtime, "thread-pool work items", ThreadPool.CompletedWorkItemCount);
        Line(text, Runtime, "lock contentions", Monitor.LockContentionCount);
        return text.ToString();
    }

    public const string Runtime = "runtime";

    static void Line(StringBuilder text, string kind, string key, long value) =>
        text.Append(kind).Append('\t').Append(key).Append('\t').Append(value).Append('\n');
}

using System.Globalization;

namespace GlobalCommerce.Bench.OrderLoad;

public enum BenchMode
{
    // RabbitMQ + PostgreSQL, the API and --workers worker processes as separate processes.
    Real,

    // In-memory bus + SQLite, everything in the API process.
    Embedded,
}

public sealed record BenchOptions
{
    public IReadOnlyList<BenchMode> Modes { get; init; } = [BenchMode.Real, BenchMode.Embedded];

    // Length of each measured phase (maximum, fixed rate, overload).
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);

    public double Rate { get; init; } = 100;

    public int Clients { get; init; } = 32;

    // The overload phase offers this multiple of the max phase's completed orders/s, open loop.
    public double Overload { get; init; } = 2;

    // Real mode: worker processes (competing consumers on the same queues).
    public int Workers { get; init; } = 1;

    // The warm-up lasts at least Warmup, then on until the hosts' JIT has settled, at most WarmupMax.
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan WarmupMax { get; init; } = TimeSpan.FromSeconds(120);

    public int WarmupClients { get; init; } = 8;

    // Concurrent sign-ups (register + log in) while the customers are created, between the phases, unmeasured.
    public int SignupClients { get; init; } = 8;

    // Length of each raw baseline (bus, database).
    public TimeSpan RawDuration { get; init; } = TimeSpan.FromSeconds(5);

    public int BusPublishers { get; init; } = 8;

    public int DbConnections { get; init; } = 16;

    public int Pollers { get; init; } = 4;

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(25);

    // Long enough for an overloaded open-loop phase's backlog (at most MaxBacklog of offered load) to clear, so the
    // next phase starts on an idle platform.
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(120);

    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(2);

    // Open loop never waits for answers; past this many unanswered POSTs it stops sending and says so.
    public int MaxOutstandingPosts { get; init; } = 2000;

    // The fixed-rate phase stops early once this much of the offered load is unfinished (the platform cannot keep up).
    // The overload phase never stops early: how much it still completes is what it measures.
    public TimeSpan MaxBacklog { get; init; } = TimeSpan.FromSeconds(5);

    // Extra environment for the hosts: experiments with their settings, or DOTNET_PerfMapEnabled=1 for perf.
    public IReadOnlyDictionary<string, string> HostEnvironment { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    // Only the raw bus and database ceilings, no platform.
    public bool BaselinesOnly { get; init; }

    public string WorkDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "gc-bench-work");

    // Outside the repository on purpose: results describe one machine on one day and do not belong in git.
    public string ResultsDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "gc-bench-results");

    public const string Usage = """
        usage: bench/run.sh [options]
          --modes real,embedded   which platform shapes to measure (default both): real = API + worker process(es) on
                                  RabbitMQ + PostgreSQL (durable, as production), embedded = one process, in-memory bus + SQLite
          --duration 20s          length of each measured phase (max, fixed rate, overload)
          --clients 32            concurrent closed-loop clients of the max phase (each waits for its order to end)
          --rate 100              offered orders/s of the fixed-rate phase (open loop): latency p50/p95/p99
          --overload 2            the overload phase offers this multiple of the max phase's completed/s (open loop)
          --workers 1             real mode: worker processes (the scale-out figure)
          --warmup 20s            unmeasured closed-loop load before the phases: at least this long, then on until
                                  the hosts' JIT has settled
          --warmup-max 120s       the longest warm-up
          --warmup-clients 8      closed-loop clients of the warm-up
          --signup-clients 8      concurrent sign-ups (register + log in) while customers are created, between phases
          --raw-duration 5s       length of each raw baseline (bus publish+consume, database transactions)
          --bus-publishers 8      concurrent publishers of the raw bus baseline
          --db-connections 16     concurrent connections of the raw database baseline
          --pollers 4             poller tasks cycling over in-flight orders
          --poll-interval 25ms    pause between a poller's cycles
          --drain-timeout 120s    how long to wait for in-flight orders after a phase
          --progress 2s           interval of the progress lines
          --max-outstanding 2000  open loop: unanswered POSTs before sending is paused
          --max-backlog 5s        fixed-rate phase: stop early once this much offered load is unfinished
          --baselines-only        measure only the raw bus and database ceilings
          --host-env KEY=VALUE    extra environment for the hosts (repeatable), e.g. DOTNET_PerfMapEnabled=1 for perf
          --results DIR           where the .md/.json reports go (default $TMPDIR/gc-bench-results)
          --work DIR              scratch space: host logs, SQLite files, probe sockets
          -h, --help              this text (bench/run.sh prints it without building or starting anything)
        durations take ms, s or m (500ms, 20s, 2m)
        """;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var flag = args[i];
            if (flag is "-h" or "--help")
                throw new UsageException(null);
            if (flag == "--baselines-only")
            {
                options = options with { BaselinesOnly = true };
                continue;
            }

            if (i + 1 >= args.Count)
                throw new UsageException($"{flag} needs a value");
            var value = args[++i];
            options = flag switch
            {
                "--modes" => options with { Modes = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseMode)] },
                "--duration" => options with { Duration = ParseDuration(flag, value) },
                "--rate" => options with { Rate = ParsePositive(flag, value) },
                "--clients" => options with { Clients = (int)ParsePositive(flag, value) },
                "--overload" => options with { Overload = ParsePositive(flag, value) },
                "--workers" => options with { Workers = (int)ParsePositive(flag, value) },
                "--warmup" => options with { Warmup = ParseDuration(flag, value, allowZero: true) },
                "--warmup-max" => options with { WarmupMax = ParseDuration(flag, value, allowZero: true) },
                "--warmup-clients" => options with { WarmupClients = (int)ParsePositive(flag, value) },
                "--signup-clients" => options with { SignupClients = (int)ParsePositive(flag, value) },
                "--raw-duration" => options with { RawDuration = ParseDuration(flag, value) },
                "--bus-publishers" => options with { BusPublishers = (int)ParsePositive(flag, value) },
                "--db-connections" => options with { DbConnections = (int)ParsePositive(flag, value) },
                "--pollers" => options with { Pollers = (int)ParsePositive(flag, value) },
                "--poll-interval" => options with { PollInterval = ParseDuration(flag, value) },
                "--drain-timeout" => options with { DrainTimeout = ParseDuration(flag, value) },
                "--progress" => options with { ProgressInterval = ParseDuration(flag, value) },
                "--max-outstanding" => options with { MaxOutstandingPosts = (int)ParsePositive(flag, value) },
                "--max-backlog" => options with { MaxBacklog = ParseDuration(flag, value) },
                "--host-env" => options with { HostEnvironment = WithVariable(options.HostEnvironment, flag, value) },
                "--results" => options with { ResultsDirectory = Path.GetFullPath(value) },
                "--work" => options with { WorkDirectory = Path.GetFullPath(value) },
                _ => throw new UsageException($"unknown option {flag}"),
            };
        }

        if (options.Modes.Count == 0)
            throw new UsageException("--modes names no mode");
        if (options.WarmupMax < options.Warmup)
            options = options with { WarmupMax = options.Warmup };
        return options;
    }

    static Dictionary<string, string> WithVariable(IReadOnlyDictionary<string, string> variables, string flag, string value)
    {
        var split = value.IndexOf('=', StringComparison.Ordinal);
        if (split <= 0)
            throw new UsageException($"{flag} needs KEY=VALUE, not '{value}'");
        return new Dictionary<string, string>(variables, StringComparer.Ordinal) { [value[..split]] = value[(split + 1)..] };
    }

    static BenchMode ParseMode(string value) => value.ToUpperInvariant() switch
    {
        "REAL" => BenchMode.Real,
        "EMBEDDED" => BenchMode.Embedded,
        _ => throw new UsageException($"unknown mode '{value}' (real, embedded)"),
    };

    static double ParsePositive(string flag, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw new UsageException($"{flag} needs a positive number, not '{value}'");

    public static TimeSpan ParseDuration(string flag, string value, bool allowZero = false)
    {
        var (number, unit) = value.EndsWith("ms", StringComparison.Ordinal) ? (value[..^2], 0.001)
            : value.EndsWith('s') ? (value[..^1], 1.0)
            : value.EndsWith('m') ? (value[..^1], 60.0)
            : (value, 1.0);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || amount < 0 || (amount == 0 && !allowZero))
            throw new UsageException($"{flag} needs a duration such as 500ms, 20s or 2m, not '{value}'");
        return TimeSpan.FromSeconds(amount * unit);
    }
}

public sealed class UsageException(string? message) : Exception(message ?? "");

using GlobalCommerce.Bench.OrderLoad.Baselines;
using GlobalCommerce.Bench.OrderLoad.Measurement;

namespace GlobalCommerce.Bench.OrderLoad.Runs;

public sealed record ModeResult(BenchMode Mode, string Description, BusBaseline Bus, DbBaseline Database,
    IReadOnlyList<PhaseResult> Phases, IReadOnlyList<string> Products, string WorkDirectory)
{
    public int Workers { get; init; }

    public WarmupResult? Warmup { get; init; }

    public long CustomersSignedUp { get; init; }

    public double SignupSeconds { get; init; }

    public BooksReport? Books { get; init; }

    // Why pg_stat_statements figures are missing, when they are.
    public string? StatementStatsNote { get; init; }

    public PhaseResult? Phase(string name) => Phases.FirstOrDefault(phase => phase.Name == name);
}

public sealed record WarmupResult(double Seconds, long Completed, string Ended, IReadOnlyDictionary<string, long> JitMethodsAtEnd);

public sealed record PhaseResult
{
    public required string Name { get; init; }

    public required string Offered { get; init; }

    public required double DurationSeconds { get; init; }

    // How long load was actually offered: shorter than DurationSeconds when the open loop stopped early.
    public required double LoadSeconds { get; init; }

    public required string? StoppedEarly { get; init; }

    // Orders of the previous phase still unfinished when this one started: their work is counted here too.
    public long CarriedOver { get; init; }

    public required long Submitted { get; init; }

    public required long Accepted { get; init; }

    public required long Completed { get; init; }

    public required long Failed { get; init; }

    public required long Unfinished { get; init; }

    public required long NotSent { get; init; }

    // Refused at the door: shed load, not failures (nothing was stored; a client retries later).
    public long Shed503 { get; init; }

    public long Shed429 { get; init; }

    public long Shed => Shed503 + Shed429;

    // Orders that had to reuse a customer who had ordered before (the pool of fresh customers ran out).
    public long CustomersReused { get; init; }

    // Per .NET host (all workers together under "worker"): GC.GetTotalAllocatedBytes delta / accepted orders.
    public IReadOnlyDictionary<string, double> AllocatedBytesPerOrder { get; init; } = new Dictionary<string, double>();

    // JIT work inside the phase, per host: near zero when the warm-up did its job.
    public IReadOnlyDictionary<string, double> JitMilliseconds { get; init; } = new Dictionary<string, double>();

    public IReadOnlyDictionary<string, long> JitMethods { get; init; } = new Dictionary<string, long>();

    public Roofline? Roofline { get; init; }

    public required IReadOnlyDictionary<string, int> PostErrors { get; init; }

    // Orders that reached Completed inside the steady window (the phase minus its first seconds), per second.
    public required double CompletedPerSecond { get; init; }

    public required double SteadyWindowSeconds { get; init; }

    public required Distribution PostMilliseconds { get; init; }

    public required Distribution EndToEndMilliseconds { get; init; }

    public required IReadOnlyDictionary<string, Distribution> StepMilliseconds { get; init; }

    public required Distribution GeneratorLagMilliseconds { get; init; }

    public required double PollsPerOrder { get; init; }

    // From the snapshot before the phase to the one after it settled, divided by accepted orders.
    public required IReadOnlyDictionary<string, double> CpuSecondsPerOrder { get; init; }

    // During the phase's load window: 1.0 = one core busy throughout.
    public required IReadOnlyDictionary<string, double> Cores { get; init; }

    public required double MachineBusy { get; init; }

    public required MessageCounts Messages { get; init; }

    public required CommitCounts Commits { get; init; }

    // Per host: the .NET runtime's own counters over the phase ("api allocated bytes", "worker JIT µs", ...), raw.
    public required IReadOnlyDictionary<string, long> Runtime { get; init; }

    public Limit? Limit { get; init; }
}

// PerOrder is what the limit uses: deliveries to consumers per order (each one a publish+consume, as in the raw bus
// baseline), counted by the broker in real mode and by the hosts' MassTransit meters in memory.
public sealed record MessageCounts(
    double PerOrder,
    string Source,
    double? BrokerPublishedPerOrder,
    double? BrokerDeliveredPerOrder,
    double? BrokerUnroutablePerOrder,
    long? BrokerRedelivered,
    double SentPerOrder,
    double PublishedPerOrder,
    double ReceivedPerOrder,
    double ConsumedPerOrder,
    long ConsumeRetries,
    long ConsumeErrors,
    IReadOnlyDictionary<string, double> OutgoingByTypePerOrder);

// PerOrder: transactions that wrote (WAL commit records on PostgreSQL, sqlite3_commit_hook calls on SQLite).
// StatementsPerOrder: EF Core commands in the hosts; ServerStatementsPerOrder: pg_stat_statements calls in the platform's
// databases (BEGIN, COMMIT, SAVEPOINT, DISCARD ALL included); ClientCommandsPerOrder / RoundTripsPerOrder: Npgsql's meter.
public sealed record CommitCounts(
    double PerOrder,
    string Source,
    long? Aborts,
    IReadOnlyDictionary<string, double> ByDatabasePerOrder,
    double StatementsPerOrder,
    IReadOnlyDictionary<string, double> StatementsByDatabasePerOrder,
    double? ServerStatementsPerOrder,
    IReadOnlyDictionary<string, double> ServerStatementsByDatabasePerOrder,
    IReadOnlyDictionary<string, double> TopServerStatementsPerOrder,
    double? ClientCommandsPerOrder,
    double? RoundTripsPerOrder,
    IReadOnlyDictionary<string, double> RoundTripsByDatabasePerOrder);

// The machine's own ceiling: every process of the benchmark shares the same cores, so their CPU costs per order add up,
// and orders/s <= cores * 1000 CPU-ms / (sum of CPU-ms per order), measured in the same phase.
public sealed record Roofline(int Cores, IReadOnlyDictionary<string, double> CpuMsPerOrder, double TotalCpuMsPerOrder, double OrdersPerSecond, double Achieved)
{
    public double Ratio => Achieved / OrdersPerSecond;

    public static Roofline Of(PhaseResult phase, IEnumerable<string> processes)
    {
        var costs = processes.ToDictionary(name => name, name => phase.CpuSecondsPerOrder.GetValueOrDefault(name) * 1000, StringComparer.Ordinal);
        var total = costs.Values.Sum();
        var cores = Environment.ProcessorCount;
        return new Roofline(cores, costs, total, cores * 1000.0 / total, phase.CompletedPerSecond);
    }
}

public sealed record Limit(double ByBus, double ByDatabase, double Tightest, string LimitedBy, double Ratio);

public static class Limits
{
    // The brief's yardstick: what the raw transport and the raw database could carry at the counted cost per order.
    public static PhaseResult Apply(PhaseResult phase, BusBaseline bus, DbBaseline database)
    {
        var byBus = bus.ConsumedPerSecond / phase.Messages.PerOrder;
        var byDatabase = database.TransactionsPerSecond / phase.Commits.PerOrder;
        var tightest = Math.Min(byBus, byDatabase);
        return phase with
        {
            Limit = new Limit(byBus, byDatabase, tightest, byBus <= byDatabase ? "bus" : "database", phase.CompletedPerSecond / tightest),
        };
    }
}

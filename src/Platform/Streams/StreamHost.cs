using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Platform.Streams;

// Runs this host's side of the streams: one relay per database with a stream outbox, and one balancer per consumer
// group, which holds leases on a fair share of the partitions and runs a reader for each.
public sealed partial class StreamHost(
    IServiceProvider services,
    StreamTopology topology,
    StreamProducer producer,
    StreamOptions options,
    TimeProvider clock,
    ILogger<StreamHost> logger) : BackgroundService
{
    // Names this process in leases and member rows: unique per start, readable in a support query.
    public string Owner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    readonly List<ConsumerGroupRunner> _groups = [];

    public IReadOnlyList<ConsumerGroupRunner> Groups => _groups;

    // The shared transactions of the groups that commit together (tests, diagnostics).
    public IReadOnlyList<SharedBatchTransaction> SharedTransactions { get; private set; } = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The broker may still be starting with the host: keep trying, as the bus does.
        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await producer.EnsureStreamsAsync().WaitAsync(stoppingToken);
                break;
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogBackendUnavailable(logger, producer.Backend.Name, exception);
                producer.Reset();
                await Task.Delay(delay, clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }

        if (stoppingToken.IsCancellationRequested)
            return;

        var tasks = new List<Task>();
        // An inbox record outlives its event on every stream by a day before it is removed (a relay's copy of an event
        // carries the original's time, so it leaves the stream with it).
        var inboxKeep = producer.Definitions.Select(d => d.Retention).DefaultIfEmpty(TimeSpan.FromDays(7)).Max() + TimeSpan.FromDays(1);
        foreach (var context in topology.OutboxContexts)
            tasks.Add(new StreamOutboxRelay(services, context, producer, options, clock, Owner, logger).RunAsync(stoppingToken));
        // A group's inbox is one table in its database, whichever streams it reads: one of its runners here prunes it.
        var pruners = topology.Endpoints.DistinctBy(e => (e.ConsumerGroup, e.DatabaseContext)).ToHashSet();
        // One shared transaction per group and database for the groups that commit together.
        var shared = topology.Endpoints.Where(e => e.CommitTogether).GroupBy(e => (e.ConsumerGroup, e.DatabaseContext))
            .ToDictionary(g => g.Key, g => new SharedBatchTransaction(services, g.Key.ConsumerGroup, g.Key.DatabaseContext,
                g.Max(e => e.BatchTimeLimit ?? options.BatchTimeLimit), clock, logger, stoppingToken));
        SharedTransactions = [.. shared.Values];
        foreach (var endpoint in topology.Endpoints)
        {
            var runner = new ConsumerGroupRunner(services, endpoint, new StreamDispatcher(endpoint, topology), producer.Backend, options, clock,
                Owner, logger, pruners.Contains(endpoint) ? inboxKeep : null,
                endpoint.CommitTogether ? shared[(endpoint.ConsumerGroup, endpoint.DatabaseContext)] : null);
            _groups.Add(runner);
            tasks.Add(runner.RunAsync(stoppingToken));
        }

        LogStarted(logger, producer.Backend.Name, topology.OutboxContexts.Count, topology.Endpoints.Count);
        await Task.WhenAll(tasks);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream backend {Backend} not ready; retrying")]
    static partial void LogBackendUnavailable(ILogger logger, string backend, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Streams on {Backend}: {Relays} outbox relays, {Groups} consumer groups")]
    static partial void LogStarted(ILogger logger, string backend, int relays, int groups);
}

// One consumer group on one stream in this process: every LeaseDuration / 3 it renews its member row and leases,
// takes free partitions up to its fair share (partitions ÷ live members, rounded up) and lets go of any beyond it, so
// a second worker process ends up with half of them and takes over all of a member that stopped renewing.
public sealed partial class ConsumerGroupRunner(
    IServiceProvider services,
    TopicEndpointConfigurator endpoint,
    StreamDispatcher dispatcher,
    IStreamBackend backend,
    StreamOptions options,
    TimeProvider clock,
    string owner,
    ILogger logger,
    TimeSpan? inboxKeep,
    SharedBatchTransaction? shared = null)
{
    readonly Dictionary<int, PartitionReaderLoop> _running = [];

    public string ConsumerGroup => endpoint.ConsumerGroup;

    public string Stream => endpoint.Stream;

    public IReadOnlyCollection<int> OwnedPartitions
    {
        get
        {
            lock (_running)
                return _running.Keys.ToList();
        }
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var tick = options.LeaseDuration / 3;
        var nextPrune = clock.GetUtcNow() + options.InboxPruneInterval;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await BalanceAsync(stoppingToken);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    LogBalanceFailed(logger, endpoint.ConsumerGroup, endpoint.Stream, exception);
                }

                if (inboxKeep is not null && clock.GetUtcNow() >= nextPrune)
                {
                    await PruneInboxAsync(stoppingToken);
                    nextPrune = clock.GetUtcNow() + options.InboxPruneInterval;
                }

                await Task.Delay(tick, clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        finally
        {
            List<PartitionReaderLoop> loops;
            lock (_running)
                loops = _running.Values.ToList();
            await Task.WhenAll(loops.Select(l => l.StopAsync()));
            await LeaveQuietlyAsync();
        }
    }

    // One runner per group and database in each host does this (idempotent deletes), in short statements, each in the
    // database's write turn on SQLite; a failure waits for the next interval.
    async Task PruneInboxAsync(CancellationToken stoppingToken)
    {
        try
        {
            var cutoff = clock.GetUtcNow() - inboxKeep!.Value;
            var removed = 0;
            for (var round = 0; round < 10; round++)
            {
                await using var scope = services.CreateAsyncScope();
                var db = (DbContext)scope.ServiceProvider.GetRequiredService(endpoint.DatabaseContext);
                using var turn = await Persistence.SqliteWriteGate.EnterAsync(db, stoppingToken);
                var deleted = await StreamInbox.PruneAsync(db, endpoint.ConsumerGroup, cutoff, options.InboxPruneBatchSize, stoppingToken);
                removed += deleted;
                if (deleted < options.InboxPruneBatchSize)
                    break;
            }

            if (removed > 0)
                LogInboxPruned(logger, endpoint.ConsumerGroup, removed, cutoff);
        }
        catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
        {
            LogInboxPruneFailed(logger, endpoint.ConsumerGroup, exception);
        }
    }

    async Task BalanceAsync(CancellationToken stoppingToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = (DbContext)scope.ServiceProvider.GetRequiredService(endpoint.DatabaseContext);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var expires = now + (long)options.LeaseDuration.TotalMilliseconds;
        var group = endpoint.ConsumerGroup;
        var stream = endpoint.Stream;

        // Loops that ended by themselves (lease lost, fault) make room first.
        lock (_running)
        {
            foreach (var done in _running.Where(r => r.Value.Completion.IsCompleted).Select(r => r.Key).ToList())
                _running.Remove(done);
        }

        await StreamStore.JoinAsync(db, group, stream, owner, expires, stoppingToken);
        var renewed = (await StreamStore.RenewAsync(db, group, stream, owner, now, expires, stoppingToken)).ToHashSet();
        var members = Math.Max(await StreamStore.LiveMembersAsync(db, group, stream, now, stoppingToken), 1);
        var partitions = options.Partitions;
        var fairShare = (partitions + members - 1) / members;

        lock (_running)
        {
            // A loop whose lease could not be renewed (taken over while this host stalled) stops.
            foreach (var (partition, loop) in _running.Where(r => !renewed.Contains(r.Key)).ToList())
            {
                _ = loop.StopAsync(releaseLease: false);
                _running.Remove(partition);
            }

            foreach (var partition in renewed)
            {
                if (_running.TryGetValue(partition, out var loop))
                    loop.LeaseValidUntil = expires;
            }
        }

        var owned = renewed.Count;
        // Beyond the fair share: hand the highest partitions back (the loop checkpoints, then releases the lease).
        if (owned > fairShare)
        {
            List<PartitionReaderLoop> extra;
            lock (_running)
            {
                extra = _running.OrderByDescending(r => r.Key).Take(owned - fairShare).Select(r => r.Value).ToList();
                foreach (var loop in extra)
                    _running.Remove(loop.Partition);
            }

            await Task.WhenAll(extra.Select(l => l.StopAsync()));
            return;
        }

        for (var partition = 0; partition < partitions && owned < fairShare; partition++)
        {
            if (renewed.Contains(partition))
            {
                EnsureRunning(partition, expires);
                continue;
            }

            if (await StreamStore.TryAcquireAsync(db, group, stream, partition, owner, now, expires, stoppingToken))
            {
                owned++;
                LogAcquired(logger, group, stream, partition);
                EnsureRunning(partition, expires);
            }
        }

        foreach (var partition in renewed)
            EnsureRunning(partition, expires);
    }

    void EnsureRunning(int partition, long leaseValidUntil)
    {
        lock (_running)
        {
            if (_running.ContainsKey(partition))
                return;
            var loop = new PartitionReaderLoop(services, endpoint, dispatcher, backend, options, clock, owner, partition, logger, shared)
            {
                LeaseValidUntil = leaseValidUntil,
            };
            loop.Start();
            _running[partition] = loop;
        }
    }

    async Task LeaveQuietlyAsync()
    {
        try
        {
            await using var scope = services.CreateAsyncScope();
            var db = (DbContext)scope.ServiceProvider.GetRequiredService(endpoint.DatabaseContext);
            await StreamStore.LeaveAsync(db, endpoint.ConsumerGroup, endpoint.Stream, owner, CancellationToken.None);
        }
        catch (Exception exception)
        {
            LogBalanceFailed(logger, endpoint.ConsumerGroup, endpoint.Stream, exception);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer group {Group} on {Stream}: lease round failed")]
    static partial void LogBalanceFailed(ILogger logger, string group, string stream, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer group {Group} reads {Stream} partition {Partition}")]
    static partial void LogAcquired(ILogger logger, string group, string stream, int partition);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer group {Group}: {Removed} inbox records of events received before {Cutoff} removed")]
    static partial void LogInboxPruned(ILogger logger, string group, int removed, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer group {Group}: inbox clean-up failed; tried again next interval")]
    static partial void LogInboxPruneFailed(ILogger logger, string group, Exception exception);
}

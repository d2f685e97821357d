using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using MassTransit;
using MassTransit.Middleware;
using MassTransit.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Platform.Messaging.Outbox;

public interface IOutboxDelivery
{
    string DatabaseName { get; }

    DeliveryReceipt BeginInbox(long inboxId, IReadOnlyList<OutboxMessage> messages);

    void Abandon(long inboxId);
}

// Which outboxes of one database this host delivers: consumers' inbox rows (AddTransactionalOutbox), the API's bus
// outbox (AddBusOutbox), or both.
public sealed class OutboxRoles<TDbContext>
    where TDbContext : DbContext
{
    public bool Inbox { get; set; }

    public bool Bus { get; set; }

    // Endpoints whose first deliveries may share commits (SharedCommit decides whether the database does): sets read when
    // the first message comes, so names added to them after registration still count; then the answer is kept per
    // receive address, so a message costs a dictionary look-up and no string work.
    readonly List<IReadOnlySet<string>> _sharingCommits = [];
    readonly ConcurrentDictionary<Uri, bool> _sharingByAddress = new();

    public void ShareCommitsOn(IReadOnlySet<string> endpoints) => _sharingCommits.Add(endpoints);

    public bool SharesCommits => _sharingCommits.Count > 0;

    public bool SharesCommitsOn(Uri inputAddress) =>
        _sharingByAddress.GetOrAdd(inputAddress, static (address, sets) =>
        {
            // The endpoint's name is the address's last segment (rabbitmq://host/vhost/name, loopback://localhost/name).
            var path = address.AbsolutePath;
            var name = path[(path.LastIndexOf('/') + 1)..];
            return sets.Any(endpoints => endpoints.Contains(name));
        }, _sharingCommits);
}

// Everything after a commit, for one database:
// - the bus outbox's sends (the API's requests), from memory, in commit order;
// - the "delivered" marks of both outboxes, written in batches (one UPDATE or DELETE for many messages);
// - the sweep: rows committed but not marked, that no delivery of this process holds (a crash between commit and
//   send, or between send and mark, a broker outage), are sent again with their stored MessageIds once they are older
//   than the grace period; the receivers' inboxes drop the copies.
// Nothing here holds a transaction or a lock while it talks to the broker.
public sealed partial class OutboxDelivery<TDbContext>(
    IServiceScopeFactory scopes,
    IServiceProvider provider,
    DeliveryConfirmations confirmations,
    OutboxRoles<TDbContext> roles,
    OutboxOptions options,
    TimeProvider clock,
    ILogger<OutboxDelivery<TDbContext>> logger) : BackgroundService, IOutboxDelivery
    where TDbContext : DbContext
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    readonly ConcurrentDictionary<long, byte> _inboxInFlight = new();
    readonly ConcurrentDictionary<long, byte> _busInFlight = new();
    readonly Channel<Mark> _marks = Channel.CreateUnbounded<Mark>(new UnboundedChannelOptions { SingleReader = true });
    readonly Channel<BusOutboxMessage> _busSends = Channel.CreateUnbounded<BusOutboxMessage>(new UnboundedChannelOptions { SingleReader = true });

    public string DatabaseName { get; } = typeof(TDbContext).Name;

    // Rows this process is delivering and has not marked yet (tests, diagnostics).
    public int InFlight => _inboxInFlight.Count + _busInFlight.Count;

    public DeliveryReceipt BeginInbox(long inboxId, IReadOnlyList<OutboxMessage> messages)
    {
        _inboxInFlight[inboxId] = 0;
        return confirmations.Expect(messages.Select(m => (m.MessageId, m.MessageType, m.IsPublish)),
            () => _marks.Writer.TryWrite(new Mark(MarkKind.Inbox, inboxId)));
    }

    public void Abandon(long inboxId) => _inboxInFlight.TryRemove(inboxId, out _);

    public bool IsInFlight(long inboxId) => _inboxInFlight.ContainsKey(inboxId);

    // Called by BusOutbox right after the request's commit.
    public void SendAfterCommit(IEnumerable<BusOutboxMessage> messages)
    {
        foreach (var message in messages)
        {
            _busInFlight[message.Id] = 0;
            _busSends.Writer.TryWrite(message);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(WriteMarksAsync(stoppingToken), SendBusMessagesAsync(stoppingToken), SweepLoopAsync(stoppingToken));

    async Task SendBusMessagesAsync(CancellationToken stoppingToken)
    {
        var bus = provider.GetRequiredService<IBus>();
        try
        {
            await foreach (var message in _busSends.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await SendBusMessageAsync(bus, message, stoppingToken);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    // Left for the sweep, which sends it again after the grace period.
                    _busInFlight.TryRemove(message.Id, out _);
                    LogDeliveryFailed(logger, DatabaseName, exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    async Task SendBusMessageAsync(ISendEndpointProvider sendEndpoints, BusOutboxMessage message, CancellationToken cancellationToken)
    {
        var type = Type.GetType(message.MessageType, throwOnError: true)!;
        var body = JsonSerializer.Deserialize(message.Body, type, Json)!;
        var receipt = confirmations.Expect([(message.MessageId, string.Empty, false)],
            () => _marks.Writer.TryWrite(new Mark(MarkKind.Bus, message.Id)));
        // A plain Activity starts whether or not anyone listens, so the send below always joins the request's trace.
        using (var activity = message.TraceParent is null ? null : new Activity("outbox deliver").SetParentId(message.TraceParent).Start())
        {
            var endpoint = await sendEndpoints.GetSendEndpoint(new Uri(message.Destination));
            await endpoint.Send(body, type, Pipe.Execute<SendContext>(context => context.MessageId = message.MessageId), cancellationToken);
        }

        OutboxMetrics.RecordDelivered("bus", DatabaseName, clock.GetUtcNow() - message.CreatedAt);
        receipt.Sent();
    }

    async Task WriteMarksAsync(CancellationToken stoppingToken)
    {
        var inbox = new List<long>();
        var bus = new List<long>();
        try
        {
            while (await _marks.Reader.WaitToReadAsync(stoppingToken))
            {
                if (options.MarkLinger > TimeSpan.Zero && inbox.Count + bus.Count == 0)
                    await Task.Delay(options.MarkLinger, clock, stoppingToken);
                while ((inbox.Count + bus.Count) < options.MarkBatchSize && _marks.Reader.TryRead(out var mark))
                    (mark.Kind == MarkKind.Inbox ? inbox : bus).Add(mark.Id);
                try
                {
                    await WriteMarksAsync(inbox, bus, stoppingToken);
                    foreach (var id in inbox)
                        _inboxInFlight.TryRemove(id, out _);
                    foreach (var id in bus)
                        _busInFlight.TryRemove(id, out _);
                    inbox.Clear();
                    bus.Clear();
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    // Kept (and still in flight, so the sweep leaves them alone): written with the next batch.
                    LogMarkFailed(logger, DatabaseName, exception);
                    await Task.Delay(TimeSpan.FromSeconds(1), clock, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    async Task WriteMarksAsync(List<long> inbox, List<long> bus, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
        if (inbox.Count > 0)
        {
            var now = clock.GetUtcNow();
            await db.Set<InboxState>().Where(i => inbox.Contains(i.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.Delivered, now).SetProperty(i => i.Outgoing, (string?)null), cancellationToken);
        }

        if (bus.Count > 0)
            await db.Set<BusOutboxMessage>().Where(m => bus.Contains(m.Id)).ExecuteDeleteAsync(cancellationToken);
    }

    async Task SweepLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SweepInterval, clock);
        try
        {
            do
            {
                try
                {
                    await SweepAsync(stoppingToken);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    LogDeliveryFailed(logger, DatabaseName, exception);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    // Sends again what was committed and never marked, oldest first; returns how many rows it took.
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var bus = provider.GetRequiredService<IBus>();
        var cutoff = clock.GetUtcNow() - options.RedeliveryGrace;
        var swept = 0;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDbContext>();

        if (roles.Bus)
        {
            var stale = await db.Set<BusOutboxMessage>().AsNoTracking()
                .Where(m => m.CreatedAt < cutoff).OrderBy(m => m.Id).Take(options.SweepBatchSize).ToListAsync(cancellationToken);
            foreach (var message in stale.Where(m => _busInFlight.TryAdd(m.Id, 0)))
            {
                try
                {
                    await SendBusMessageAsync(bus, message, cancellationToken);
                    swept++;
                }
                catch
                {
                    _busInFlight.TryRemove(message.Id, out _);
                    throw;
                }
            }
        }

        if (roles.Inbox)
        {
            var stale = await db.Set<InboxState>().AsNoTracking()
                .Where(i => i.Delivered == null && i.Consumed != null && i.Consumed < cutoff)
                .OrderBy(i => i.Id).Take(options.SweepBatchSize).ToListAsync(cancellationToken);
            foreach (var row in stale.Where(i => !_inboxInFlight.ContainsKey(i.Id)))
            {
                await ResendInboxRowAsync(bus, row, cancellationToken);
                swept++;
            }
        }

        if (swept > 0)
            LogSwept(logger, DatabaseName, swept);
        return swept;
    }

    async Task ResendInboxRowAsync(ISendEndpointProvider sendEndpoints, InboxState row, CancellationToken cancellationToken)
    {
        var messages = OutgoingMessages.Read(row.Outgoing);
        var receipt = BeginInbox(row.Id, messages);
        try
        {
            foreach (var message in messages.Where(m => m.DestinationAddress is not null))
            {
                message.Deserialize(SystemTextJsonMessageSerializer.Instance);
                var endpoint = await sendEndpoints.GetSendEndpoint(message.DestinationAddress!);
                await endpoint.Send(new Resent(), new OutboxMessageSendPipe(message, message.DestinationAddress!), cancellationToken);
            }
        }
        catch
        {
            Abandon(row.Id);
            throw;
        }

        receipt.Sent();
    }

    // The body is the stored one; OutboxMessageSendPipe replaces this placeholder's serialization.
    sealed class Resent;

    enum MarkKind
    {
        Inbox,
        Bus,
    }

    readonly record struct Mark(MarkKind Kind, long Id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox delivery for {Database} failed; the sweep sends it again")]
    static partial void LogDeliveryFailed(ILogger logger, string database, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing delivered marks for {Database} failed; retrying")]
    static partial void LogMarkFailed(ILogger logger, string database, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox sweep of {Database} sent {Count} undelivered rows again")]
    static partial void LogSwept(ILogger logger, string database, int count);
}

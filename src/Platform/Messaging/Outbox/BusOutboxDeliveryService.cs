using System.Data;
using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Platform.Messaging.Outbox;

// Delivers stored bus-outbox messages in insertion order. On PostgreSQL a batch is claimed with
// FOR UPDATE SKIP LOCKED, so several API processes share the work without sending a message twice at once;
// a message sent just before a crash is sent again after it, with the same MessageId, and the receiver's inbox drops it.
public sealed partial class BusOutboxDeliveryService<TDbContext>(
    IServiceScopeFactory scopes,
    BusOutboxSignal<TDbContext> signal,
    TimeProvider clock,
    ILogger<BusOutboxDeliveryService<TDbContext>> logger) : BackgroundService
    where TDbContext : DbContext
{
    const int BatchSize = 100;
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await DeliverBatchAsync(stoppingToken) == BatchSize)
                {
                }

                await signal.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // the broker or database may be restarting: back off and try again
            catch (Exception exception)
#pragma warning restore CA1031
            {
                LogDeliveryFailed(logger, exception);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    public async Task<int> DeliverBatchAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
        var sendEndpoints = scope.ServiceProvider.GetRequiredService<ISendEndpointProvider>();

        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        var batch = db.Database.IsNpgsql()
            ? await db.Set<BusOutboxMessage>()
                .FromSqlRaw($"SELECT * FROM bus_outbox_message ORDER BY \"Id\" LIMIT {BatchSize} FOR UPDATE SKIP LOCKED")
                .ToListAsync(cancellationToken)
            : await db.Set<BusOutboxMessage>().OrderBy(m => m.Id).Take(BatchSize).ToListAsync(cancellationToken);
        if (batch.Count == 0)
            return 0;

        foreach (var message in batch)
        {
            var type = Type.GetType(message.MessageType, throwOnError: true)!;
            var body = JsonSerializer.Deserialize(message.Body, type, Json)!;
            // A plain Activity starts whether or not anyone listens, so the send below always joins the request's trace.
            using var activity = message.TraceParent is null ? null : new Activity("outbox deliver").SetParentId(message.TraceParent).Start();
            var endpoint = await sendEndpoints.GetSendEndpoint(new Uri(message.Destination));
            await endpoint.Send(body, type, Pipe.Execute<SendContext>(context => context.MessageId = message.MessageId), cancellationToken);
            OutboxMetrics.RecordDelivered("bus", typeof(TDbContext).Name, clock.GetUtcNow() - message.CreatedAt);
        }

        db.Set<BusOutboxMessage>().RemoveRange(batch);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return batch.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bus outbox delivery failed; retrying")]
    static partial void LogDeliveryFailed(ILogger logger, Exception exception);
}

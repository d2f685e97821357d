using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Platform.Messaging.Outbox;

// Adds messages to TDbContext instead of sending them: they commit with whatever else the caller saves and are
// delivered afterwards. Nothing leaves before the caller's SaveChanges succeeds.
public sealed class BusOutbox<TDbContext>(TDbContext db, BusOutboxSignal<TDbContext> signal, TimeProvider clock)
    where TDbContext : DbContext
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // Returns the MessageId the message will be delivered with.
    public Guid Send<T>(Uri destination, T message)
        where T : class
    {
        var messageId = NewId.NextGuid();
        db.Set<BusOutboxMessage>().Add(new BusOutboxMessage
        {
            MessageId = messageId,
            Destination = destination.ToString(),
            MessageType = typeof(T).AssemblyQualifiedName!,
            Body = JsonSerializer.Serialize(message, Json),
            TraceParent = Activity.Current?.Id,
            CreatedAt = clock.GetUtcNow(),
        });
        return messageId;
    }

    // Saves the caller's changes and these messages in one transaction, then wakes the delivery service.
    public async Task SaveChangesAsync(CancellationToken cancellationToken)
    {
        await db.SaveChangesAsync(cancellationToken);
        signal.Notify();
    }
}

// One per database: the delivery service of one bus outbox is not woken by (nor steals the wake-up of) another's.
public sealed class BusOutboxSignal<TDbContext>
    where TDbContext : DbContext
{
    readonly SemaphoreSlim _pending = new(0, 1);

    public void Notify()
    {
        try
        {
            _pending.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: the delivery loop will pick this message up with the earlier ones.
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _pending.WaitAsync(timeout, cancellationToken);
}

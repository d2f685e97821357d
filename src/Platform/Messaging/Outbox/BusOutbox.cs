using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Platform.Messaging.Outbox;

// Adds messages to TDbContext instead of sending them: they commit with whatever else the caller saves, and are sent
// from memory right after that commit (OutboxDelivery). Nothing leaves before the caller's SaveChanges succeeds.
public sealed class BusOutbox<TDbContext>(TDbContext db, OutboxDelivery<TDbContext> delivery, TimeProvider clock)
    where TDbContext : DbContext
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    readonly List<BusOutboxMessage> _added = [];

    // Returns the MessageId the message will be delivered with.
    public Guid Send<T>(Uri destination, T message)
        where T : class
    {
        var messageId = Persistence.TimeOrderedId.New();
        var stored = new BusOutboxMessage
        {
            MessageId = messageId,
            Destination = destination.ToString(),
            MessageType = typeof(T).AssemblyQualifiedName!,
            Body = JsonSerializer.Serialize(message, Json),
            TraceParent = Activity.Current?.Id,
            CreatedAt = clock.GetUtcNow(),
        };
        db.Set<BusOutboxMessage>().Add(stored);
        _added.Add(stored);
        return messageId;
    }

    // Saves the caller's changes and these messages in one transaction, then hands the messages to the delivery.
    public async Task SaveChangesAsync(CancellationToken cancellationToken)
    {
        await db.SaveChangesAsync(cancellationToken);
        delivery.SendAfterCommit(_added);
        _added.Clear();
    }
}

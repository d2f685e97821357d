using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Platform.Streams;

// For consumers whose effect is not naturally idempotent (a counter): the events of a batch this group has not applied
// before, each recorded in the caller's transaction (begun before the call) so the record commits with the effect. A
// copy read again after a crash, or produced again by a relay, is left out. Two hosts racing on one partition during a
// lease hand-over collide on the primary key here, before either has applied anything; the loser's batch is retried and
// then filtered. The rows are written with one statement whose text does not depend on the batch (one array parameter),
// not as tracked entities: a counting group writes one per event.
public static class StreamInbox
{
    public static async Task<IReadOnlyList<StreamContext<T>>> FirstSeenAsync<T>(DbContext db, StreamBatch<T> batch, TimeProvider clock)
        where T : class
    {
        var ids = batch.Select(e => e.EventId).Distinct().ToList();
        var group = batch.ConsumerGroup;
        var seen = await db.Set<StreamInboxEntry>().AsNoTracking()
            .Where(e => e.ConsumerGroup == group && ids.Contains(e.EventId))
            .Select(e => e.EventId)
            .ToListAsync(batch.CancellationToken);
        var known = seen.ToHashSet();
        var fresh = new List<StreamContext<T>>();
        var added = new List<Guid>();
        foreach (var context in batch)
        {
            if (!known.Add(context.EventId))
                continue;
            added.Add(context.EventId);
            fresh.Add(context);
        }

        if (added.Count > 0)
            await RecordAsync(db, group, added, clock.GetUtcNow().ToUnixTimeMilliseconds(), batch.CancellationToken);
        return fresh;
    }

    static Task RecordAsync(DbContext db, string group, List<Guid> ids, long now, CancellationToken cancellationToken) =>
        db.Database.IsNpgsql()
            ? db.Database.ExecuteSqlRawAsync("""
                INSERT INTO stream_inbox ("ConsumerGroup", "EventId", "ReceivedAt") SELECT {0}, id, {2} FROM unnest({1}) AS id
                """, [group, ids.ToArray(), now], cancellationToken)
            // The ids go in as one JSON array.
            : db.Database.ExecuteSqlRawAsync("""
                INSERT INTO stream_inbox ("ConsumerGroup", "EventId", "ReceivedAt") SELECT {0}, value, {2} FROM json_each({1})
                """, [group, JsonSerializer.Serialize(ids.Select(Persistence.SqliteValues.Guid)), now], cancellationToken);
}

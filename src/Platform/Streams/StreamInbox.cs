using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Platform.Streams;

// For consumers whose effect is not naturally idempotent (a counter): the events of a batch this group has not applied
// before, each recorded in the caller's DbContext so the record commits with the effect. A copy read again after a
// crash, or produced again by a relay, is left out. Two hosts racing on one partition during a lease hand-over collide
// on the primary key, and the loser's batch is retried and then filtered.
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
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var fresh = new List<StreamContext<T>>();
        foreach (var context in batch)
        {
            if (!known.Add(context.EventId))
                continue;
            db.Set<StreamInboxEntry>().Add(new StreamInboxEntry { ConsumerGroup = group, EventId = context.EventId, ReceivedAt = now });
            fresh.Add(context);
        }

        return fresh;
    }
}

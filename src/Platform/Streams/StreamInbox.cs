using System.Text.Json;
using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Platform.Streams;

// For consumers whose effect is not naturally idempotent (a counter): the events of a batch this group has not applied
// before, each recorded in the caller's transaction (begun before the call) so the record commits with the effect. A
// copy read again after a crash, or produced again by a relay, is left out. One statement does both: it inserts the
// batch's event ids, skipping those already there (ON CONFLICT DO NOTHING), and returns the ones it inserted, which are
// the fresh events. Two hosts racing on one partition during a lease hand-over meet at the primary key: the second
// waits for the first's transaction and then finds the ids taken (PostgreSQL), or waits its turn at the file (SQLite);
// either way an event is counted by one of them. The statement's text does not depend on the batch (one array parameter).
public static class StreamInbox
{
    public static async Task<IReadOnlyList<StreamContext<T>>> FirstSeenAsync<T>(DbContext db, StreamBatch<T> batch, TimeProvider clock)
        where T : class
    {
        var ids = batch.Select(e => e.EventId).Distinct().ToList();
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var inserted = (await Record(db, batch.ConsumerGroup, ids, now).ToListAsync(batch.CancellationToken)).ToHashSet();
        var fresh = new List<StreamContext<T>>(inserted.Count);
        foreach (var context in batch)
        {
            // Remove: a copy later in the same batch is not fresh.
            if (inserted.Remove(context.EventId))
                fresh.Add(context);
        }

        return fresh;
    }

    static IQueryable<Guid> Record(DbContext db, string group, List<Guid> ids, long now) =>
        db.Database.UsesPostgres()
            ? db.Database.SqlQueryRaw<Guid>("""
                INSERT INTO stream_inbox ("ConsumerGroup", "EventId", "ReceivedAt") SELECT {0}, id, {2} FROM unnest({1}) AS id
                ON CONFLICT DO NOTHING RETURNING "EventId" AS "Value"
                """, group, ids.ToArray(), now)
            // The ids go in as one JSON array. "WHERE true" tells SQLite's parser the ON CONFLICT is the upsert's.
            : db.Database.SqlQueryRaw<Guid>("""
                INSERT INTO stream_inbox ("ConsumerGroup", "EventId", "ReceivedAt") SELECT {0}, value, {2} FROM json_each({1}) WHERE true
                ON CONFLICT DO NOTHING RETURNING "EventId" AS "Value"
                """, group, JsonSerializer.Serialize(ids.Select(Persistence.SqliteValues.Guid)), now);

    // The group's records of events that can no longer be read again: received before the cutoff (the longest retention
    // of the streams and a margin ago), so both the event and any copy a relay produced have left every stream. At most
    // `max` rows per call, oldest first, so a large backlog is removed in short transactions. Returns the rows removed.
    public static Task<int> PruneAsync(DbContext db, string consumerGroup, DateTimeOffset cutoff, int max, CancellationToken cancellationToken)
    {
        var before = cutoff.ToUnixTimeMilliseconds();
        return db.Set<StreamInboxEntry>()
            .Where(e => e.ConsumerGroup == consumerGroup && e.ReceivedAt < before)
            .OrderBy(e => e.ReceivedAt)
            .Take(max)
            .ExecuteDeleteAsync(cancellationToken);
    }
}

using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace GlobalCommerce.Platform.Streams;

// Stream outbox rows produced while a transaction is open wait here, per DbContext, and are written with one statement
// (per 1,000 rows) in that transaction just before the context saves its changes or the transaction commits, whichever
// comes first (StreamOutboxSignal calls Flush). They never enter the change tracker: an upload chunk produces 2,000 of
// them, which as tracked entities cost more than the rest of the chunk. A rollback drops them, as it would the rows.
public static class StreamOutboxRows
{
    const int RowsPerStatement = 1000;

    static readonly ConditionalWeakTable<DbContext, Rows> ByContext = new();

    public static void Add(DbContext db, StreamOutboxEntry row) => Of(db, create: true)!.Pending.Add(row);

    // The transaction ended (committed or rolled back): nothing of it is pending or written any more.
    public static void Forget(DbContext db) => ByContext.Remove(db);

    // The events the context's open transaction has written to the outbox so far (for diagnostics and fault tests:
    // what a rollback at this point takes back).
    public static IReadOnlyList<Guid> WrittenInTransaction(DbContext db) =>
        Of(db, create: false) is { } rows ? [.. rows.Written] : [];

    // The rows of the context's current transaction. Rows left from a transaction that ended without the interceptor
    // hearing of it (disposed without commit or rollback) belong to nobody: a retry on the same context starts clean.
    static Rows? Of(DbContext db, bool create)
    {
        var transaction = db.Database.CurrentTransaction;
        if (ByContext.TryGetValue(db, out var rows) && ReferenceEquals(rows.Transaction, transaction))
            return rows;
        ByContext.Remove(db);
        if (!create || transaction is null)
            return null;
        rows = new Rows(transaction);
        ByContext.Add(db, rows);
        return rows;
    }

    public static async Task FlushAsync(DbContext db, CancellationToken cancellationToken)
    {
        foreach (var (sql, parameters) in Statements(db))
            await db.Database.ExecuteSqlRawAsync(sql, parameters, cancellationToken);
    }

    public static void Flush(DbContext db)
    {
        foreach (var (sql, parameters) in Statements(db))
            db.Database.ExecuteSqlRaw(sql, parameters);
    }

    static List<(string Sql, object[] Parameters)> Statements(DbContext db)
    {
        if (Of(db, create: false) is not { Pending.Count: > 0 } rows)
            return [];
        var postgres = db.Database.IsNpgsql();
        var statements = new List<(string, object[])>();
        foreach (var chunk in rows.Pending.Chunk(RowsPerStatement))
            statements.Add(postgres ? Postgres(chunk) : Sqlite(chunk));
        rows.Written.AddRange(rows.Pending.Select(r => r.EventId));
        rows.Pending.Clear();
        return statements;
    }

    const string Columns = "\"EventId\", \"Stream\", \"PartitionKey\", \"MessageType\", \"Body\", \"TraceParent\", \"CreatedAt\"";

    // Rows keep their order: ids are assigned in it, and the relay produces in id order.
    static (string, object[]) Postgres(StreamOutboxEntry[] rows) => ($$"""
        INSERT INTO stream_outbox ({{Columns}})
        SELECT e, s, k, t, b, p, c FROM unnest({0}, {1}, {2}, {3}, {4}, {5}, {6}) WITH ORDINALITY AS r(e, s, k, t, b, p, c, n) ORDER BY n
        """,
        [
            rows.Select(r => r.EventId).ToArray(), rows.Select(r => r.Stream).ToArray(), rows.Select(r => r.PartitionKey).ToArray(),
            rows.Select(r => r.MessageType).ToArray(), rows.Select(r => r.Body).ToArray(), rows.Select(r => r.TraceParent).ToArray(),
            rows.Select(r => r.CreatedAt).ToArray(),
        ]);

    // One JSON array of rows.
    static (string, object[]) Sqlite(StreamOutboxEntry[] rows) => ($$"""
        INSERT INTO stream_outbox ({{Columns}})
        SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6 FROM json_each({0}) ORDER BY key
        """,
        [JsonSerializer.Serialize(rows.Select(r => new object?[]
        {
            Persistence.SqliteValues.Guid(r.EventId), r.Stream, r.PartitionKey, r.MessageType, r.Body, r.TraceParent, r.CreatedAt,
        }))]);

    sealed class Rows(IDbContextTransaction transaction)
    {
        public IDbContextTransaction Transaction { get; } = transaction;

        public List<StreamOutboxEntry> Pending { get; } = [];

        public List<Guid> Written { get; } = [];
    }
}

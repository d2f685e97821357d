using System.Runtime.CompilerServices;
using System.Text.Json;
using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

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
        if (Take(db) is not { } rows)
            return;
        if (db.Database.UsesPostgres())
        {
            foreach (var chunk in rows.Chunk(RowsPerStatement))
            {
                await using var command = PostgresCommand(db, chunk);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            return;
        }

        foreach (var chunk in rows.Chunk(RowsPerStatement))
            await db.Database.ExecuteSqlRawAsync(SqliteInsert, Sqlite(chunk), cancellationToken);
    }

    public static void Flush(DbContext db)
    {
        if (Take(db) is not { } rows)
            return;
        if (db.Database.UsesPostgres())
        {
            foreach (var chunk in rows.Chunk(RowsPerStatement))
            {
                using var command = PostgresCommand(db, chunk);
                command.ExecuteNonQuery();
            }

            return;
        }

        foreach (var chunk in rows.Chunk(RowsPerStatement))
            db.Database.ExecuteSqlRaw(SqliteInsert, Sqlite(chunk));
    }

    // The rows pending in the context's transaction, now counted as written; null when there are none.
    static List<StreamOutboxEntry>? Take(DbContext db)
    {
        if (Of(db, create: false) is not { Pending.Count: > 0 } rows)
            return null;
        // Handed over, not copied: the next rows of the transaction start a list of their own.
        var pending = rows.Pending;
        rows.Pending = [];
        foreach (var row in pending)
            rows.Written.Add(row.EventId);
        return pending;
    }

    const string Columns = "\"EventId\", \"Stream\", \"PartitionKey\", \"MessageType\", \"Body\", \"TraceParent\", \"CreatedAt\"";
    const int ColumnCount = 7;

    // A transaction's few rows (a saga step writes one or two) go as one VALUES list of typed positional parameters: one
    // statement text per row count, which Npgsql prepares once it has been used a few times (AutoPrepare), with no arrays
    // to build and unnest. Many rows (an upload chunk) go as arrays through unnest, one statement per 1,000 rows.
    // Either way the command runs on the context's connection, in its transaction, without EF Core's raw-SQL
    // machinery, and rows keep their order: ids are assigned in it, and the relay produces in id order.
    const int MaxValuesRows = 16;
    static readonly string[] ValuesInserts = [.. Enumerable.Range(0, MaxValuesRows + 1).Select(ValuesInsert)];

    static string ValuesInsert(int rows) => rows == 0
        ? ""
        : $"INSERT INTO stream_outbox ({Columns}) VALUES " + string.Join(", ", Enumerable.Range(0, rows).Select(r =>
            "(" + string.Join(", ", Enumerable.Range(1, ColumnCount).Select(c => $"${r * ColumnCount + c}")) + ")"));

    const string UnnestInsert = $"""
        INSERT INTO stream_outbox ({Columns})
        SELECT e, s, k, t, b, p, c FROM unnest($1, $2, $3, $4, $5, $6, $7) WITH ORDINALITY AS r(e, s, k, t, b, p, c, n) ORDER BY n
        """;

    static NpgsqlCommand PostgresCommand(DbContext db, StreamOutboxEntry[] rows)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction();
        if (rows.Length <= MaxValuesRows)
        {
            var command = new NpgsqlCommand(ValuesInserts[rows.Length], connection, transaction);
            foreach (var row in rows)
            {
                command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = row.EventId });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.Stream });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.PartitionKey });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.MessageType });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.Body });
                command.Parameters.Add(row.TraceParent is null
                    ? new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = DBNull.Value }
                    : new NpgsqlParameter<string> { TypedValue = row.TraceParent });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = row.CreatedAt });
            }

            return command;
        }

        var unnest = new NpgsqlCommand(UnnestInsert, connection, transaction);
        unnest.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. rows.Select(r => r.EventId)] });
        unnest.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(r => r.Stream)] });
        unnest.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(r => r.PartitionKey)] });
        unnest.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(r => r.MessageType)] });
        unnest.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(r => r.Body)] });
        unnest.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. rows.Select(r => r.TraceParent)] });
        unnest.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. rows.Select(r => r.CreatedAt)] });
        return unnest;
    }

    // One JSON array of rows.
    const string SqliteInsert = $"""
        INSERT INTO stream_outbox ({Columns})
        SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6 FROM json_each({"{0}"}) ORDER BY key
        """;

    static object[] Sqlite(StreamOutboxEntry[] rows) =>
        [JsonSerializer.Serialize(rows.Select(r => new object?[]
        {
            Persistence.SqliteValues.Guid(r.EventId), r.Stream, r.PartitionKey, r.MessageType, r.Body, r.TraceParent, r.CreatedAt,
        }))];

    sealed class Rows(IDbContextTransaction transaction)
    {
        public IDbContextTransaction Transaction { get; } = transaction;

        public List<StreamOutboxEntry> Pending { get; set; } = [];

        public List<Guid> Written { get; } = [];
    }
}

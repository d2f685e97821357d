using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace GlobalCommerce.Platform.Persistence;

// Per-connection settings for the embedded default's SQLite files (journal_mode=WAL is per file, set once by the
// DatabaseInitializer; these two are per connection, so they are set on every open):
// - busy_timeout: a writer that finds the file locked waits inside SQLite, which retries within milliseconds. Without
//   it Microsoft.Data.Sqlite's own retry sleeps ~150 ms per SQLITE_BUSY, and every saga step queued behind it.
// - synchronous=NORMAL: with WAL, a commit survives a crash of the process (the write-ahead log is written before
//   COMMIT returns); only a power loss can roll back the last transactions. The embedded default trades that for one
//   fsync per checkpoint instead of per commit. Real mode runs on PostgreSQL with its own durability settings.
// Both belong to the native connection, which the pool keeps open and hands to the next SqliteConnection: they are set
// once per native connection, not on every open (EF opens one for each query outside a transaction).
public sealed class SqlitePragmas : DbConnectionInterceptor
{
    static readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> Configured = new();
    static readonly object Done = new();

    const string Pragmas = "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;";

    public static readonly SqlitePragmas Instance = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (IsConfigured(connection))
            return;
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
        MarkConfigured(connection);
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        if (IsConfigured(connection))
            return;
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
        MarkConfigured(connection);
    }

    static bool IsConfigured(DbConnection connection) =>
        connection is SqliteConnection { Handle: { } handle } && Configured.TryGetValue(handle, out _);

    static void MarkConfigured(DbConnection connection)
    {
        if (connection is SqliteConnection { Handle: { } handle })
            Configured.AddOrUpdate(handle, Done);
    }
}

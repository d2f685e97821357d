using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace GlobalCommerce.Platform.Persistence;

// Per-connection settings for the embedded default's SQLite files (journal_mode=WAL is per file, set once by the
// DatabaseInitializer; these two are per connection, so they are set on every open):
// - busy_timeout: a writer that finds the file locked waits inside SQLite, which retries within milliseconds. Without
//   it Microsoft.Data.Sqlite's own retry sleeps ~150 ms per SQLITE_BUSY, and every saga step queued behind it.
// - synchronous=NORMAL: with WAL, a commit survives a crash of the process (the write-ahead log is written before
//   COMMIT returns); only a power loss can roll back the last transactions. The embedded default trades that for one
//   fsync per checkpoint instead of per commit. Real mode runs on PostgreSQL with its own durability settings.
public sealed class SqlitePragmas : DbConnectionInterceptor
{
    const string Pragmas = "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;";

    public static readonly SqlitePragmas Instance = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

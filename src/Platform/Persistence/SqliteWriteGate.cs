using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Platform.Persistence;

// One writer at a time per SQLite file, waited for asynchronously. SQLite lets one transaction write a file at a time;
// the others wait in its busy handler, which sleeps on the calling thread. When many background loops write one file
// (a consumer group reading eight partitions into one database), those sleeping threads are thread-pool threads, the
// pool starves on two cores, and unrelated HTTP requests freeze for seconds. Loops that write in batches take this gate
// first: waiting costs no thread, and the busy handler is left for the rare writer that does not take it.
// PostgreSQL (row locks, real concurrency) never waits here.
public static class SqliteWriteGate
{
    // By connection string, as EF hands it over (parsing it is not free, and a file has one per process).
    static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);
    static readonly ConcurrentDictionary<string, SemaphoreSlim> ByConnectionString = new(StringComparer.Ordinal);

    // Null for a database that is not SQLite (nothing to wait for); dispose the returned lease to let the next writer in.
    public static async ValueTask<IDisposable?> EnterAsync(DbContext db, CancellationToken cancellationToken)
    {
        if (!db.Database.UsesSqlite())
            return null;
        var connectionString = db.Database.GetConnectionString() ?? "";
        var gate = ByConnectionString.GetOrAdd(connectionString, static c => Gates.GetOrAdd(KeyOf(c), static _ => new SemaphoreSlim(1, 1)));
        await gate.WaitAsync(cancellationToken);
        return new Lease(gate);
    }

    static string KeyOf(string connectionString)
    {
        var source = new SqliteConnectionStringBuilder(connectionString).DataSource;
        return string.IsNullOrEmpty(source) || source == ":memory:" ? connectionString : Path.GetFullPath(source);
    }

    sealed class Lease(SemaphoreSlim gate) : IDisposable
    {
        int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                gate.Release();
        }
    }
}

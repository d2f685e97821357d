using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace GlobalCommerce.Bench.Probe;

// Subscribes to EF Core's DiagnosticListener for two events only, so the host pays for nothing else.
sealed class EfCoreObserver : IObserver<System.Diagnostics.DiagnosticListener>, IObserver<KeyValuePair<string, object?>>
{
    // An experiment switch, off unless set: SQLite's own busy handler (short back-off) on every host connection, to
    // measure what the platform would gain over Microsoft.Data.Sqlite's retry, which sleeps ~150 ms per collision.
    public const string BusyTimeoutVariable = "GC_BENCH_SQLITE_BUSY_TIMEOUT_MS";

    static readonly int BusyTimeout = int.TryParse(Environment.GetEnvironmentVariable(BusyTimeoutVariable), out var ms) ? ms : 0;
    static readonly string ConnectionOpened = RelationalEventId.ConnectionOpened.Name!;
    static readonly string CommandExecuted = RelationalEventId.CommandExecuted.Name!;

    readonly List<IDisposable> _subscriptions = [];

    public void OnNext(System.Diagnostics.DiagnosticListener value)
    {
        if (value.Name == DbLoggerCategory.Name)
        {
            lock (_subscriptions)
                _subscriptions.Add(value.Subscribe(this, name => name == ConnectionOpened || name == CommandExecuted));
        }
    }

    public void OnNext(KeyValuePair<string, object?> value)
    {
        switch (value.Value)
        {
            case ConnectionEndEventData { Connection: SqliteConnection sqlite }:
                CountCommits(sqlite);
                break;
            case CommandExecutedEventData executed:
                HostProbe.Increment(HostProbe.Counter("db.statements", DatabaseName(executed.Command.Connection)));
                break;
        }
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }

    // A pooled connection keeps its native handle, so the hook is simply set again on every open.
    static void CountCommits(SqliteConnection connection)
    {
        var counter = HostProbe.Counter("sqlite.commits", DatabaseName(connection));
        SQLitePCL.raw.sqlite3_commit_hook(connection.Handle, OnCommit, counter);
        if (BusyTimeout > 0)
            SQLitePCL.raw.sqlite3_busy_timeout(connection.Handle, BusyTimeout);
    }

    // Returning 0 lets the commit proceed.
    static int OnCommit(object state)
    {
        HostProbe.Increment((StrongBox<long>)state);
        return 0;
    }

    // File name per data source, computed once: the probe must not allocate per statement in the host it measures.
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> SqliteNames = new(StringComparer.Ordinal);

    static string DatabaseName(DbConnection? connection) => connection switch
    {
        SqliteConnection sqlite => SqliteNames.GetOrAdd(sqlite.DataSource, static source => Path.GetFileNameWithoutExtension(source)),
        null => "",
        _ => connection.Database,
    };
}

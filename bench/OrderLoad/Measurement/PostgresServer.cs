using System.Globalization;
using Npgsql;

namespace GlobalCommerce.Bench.OrderLoad.Measurement;

// The PostgreSQL instance bench/run.sh started, seen from outside: its postmaster (for CPU) and exact write-commit
// counts. pg_stat_database.xact_commit is not exact at an instant (backends flush statistics lazily) and counts
// read-only statements too, so commits are counted from the WAL instead: every transaction that wrote anything
// leaves exactly one Transaction/COMMIT record (its savepoints and FOR UPDATE locks included), read-only ones none.
public sealed class PostgresServer(string connectionString, string dataDirectory, string binDirectory)
{
    public string ConnectionString { get; } = connectionString;

    public int PostmasterPid { get; } = int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);

    // The throw-away instance recycles WAL at checkpoints; keep enough for every phase's window to be readable.
    public async Task KeepWalAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using (var set = new NpgsqlCommand("ALTER SYSTEM SET wal_keep_size = '16GB'", connection))
            await set.ExecuteNonQueryAsync(cancellationToken);
        await using var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection);
        await reload.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<string> WalPositionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT pg_current_wal_insert_lsn()::text", connection);
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<WalCommits> CountCommitsAsync(string from, string to, CancellationToken cancellationToken)
    {
        // With synchronous_commit = off the newest records may still sit in WAL buffers; pg_waldump reads files.
        await using (var connection = await OpenAsync(cancellationToken))
        {
            await using var flushed = new NpgsqlCommand("SELECT pg_current_wal_flush_lsn() >= @to::pg_lsn", connection);
            flushed.Parameters.AddWithValue("to", to);
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!(bool)(await flushed.ExecuteScalarAsync(cancellationToken))! && DateTime.UtcNow < until)
                await Task.Delay(100, cancellationToken);
        }

        var output = await BenchEnvironment.RunAsync(Path.Combine(binDirectory, "pg_waldump"),
            ["-p", Path.Combine(dataDirectory, "pg_wal"), "-s", from, "-e", to, "--stats=record"], cancellationToken);
        return new WalCommits(Count(output, "Transaction/COMMIT"), Count(output, "Transaction/ABORT"));
    }

    // pg_stat_statements, when bench/run.sh's server preloads it (servers.sh's durable profile, if the package has it):
    // exact per-statement call counts, kept in shared memory as each statement ends (no statistics-flush delay).
    public async Task<bool> EnableStatementStatsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using (var loaded = new NpgsqlCommand("SELECT current_setting('shared_preload_libraries') LIKE '%pg_stat_statements%'", connection))
        {
            if (!(bool)(await loaded.ExecuteScalarAsync(cancellationToken))!)
                return false;
        }

        await using var create = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
        return true;
    }

    public async Task ResetStatementStatsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var reset = new NpgsqlCommand("SELECT pg_stat_statements_reset()", connection);
        await reset.ExecuteNonQueryAsync(cancellationToken);
    }

    // Calls since the last reset in the databases whose name starts with the prefix (the platform's, not ours).
    public async Task<StatementStats> ReadStatementStatsAsync(string databasePrefix, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT d.datname, s.calls, left(regexp_replace(s.query, '\s+', ' ', 'g'), 120)
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE left(d.datname, length(@prefix)) = @prefix
            """, connection);
        command.Parameters.AddWithValue("prefix", databasePrefix);
        var byDatabase = new Dictionary<string, long>(StringComparer.Ordinal);
        var byStatement = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var database = reader.GetString(0)[databasePrefix.Length..];
            var calls = reader.GetInt64(1);
            byDatabase[database] = byDatabase.GetValueOrDefault(database) + calls;
            var statement = $"{database}: {reader.GetString(2)}";
            byStatement[statement] = byStatement.GetValueOrDefault(statement) + calls;
        }

        return new StatementStats(byDatabase.Values.Sum(), byDatabase, byStatement);
    }

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken, string database = "postgres")
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = database, Pooling = false };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    // "Transaction/COMMIT    1234 ( 8.42) ..." in pg_waldump's per-record statistics.
    static long Count(string output, string record) =>
        output.Split('\n').Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length > 1 && fields[0] == record)
            .Select(fields => long.Parse(fields[1], CultureInfo.InvariantCulture))
            .FirstOrDefault();
}

public sealed record WalCommits(long Commits, long Aborts);

public sealed record StatementStats(long Calls, IReadOnlyDictionary<string, long> ByDatabase, IReadOnlyDictionary<string, long> ByStatement);

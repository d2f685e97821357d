using System.Diagnostics;
using GlobalCommerce.Bench.OrderLoad.Measurement;
using Microsoft.Data.Sqlite;

namespace GlobalCommerce.Bench.OrderLoad.Baselines;

// The SQLite analogue of RawPostgres, set up as the platform sets up its files (WAL journal, pooled connections,
// Default Timeout=30, BEGIN IMMEDIATE as Microsoft.Data.Sqlite and EF Core begin transactions): SELECT the row,
// UPDATE it, INSERT an outbox row, COMMIT, from K connections on one file. SQLite lets one writer in at a time;
// the others wait in Microsoft.Data.Sqlite's busy retry, exactly as the platform's consumers do.
public static class RawSqlite
{
    const int Rows = 10_000;

    public static async Task<DbBaseline> RunAsync(string directory, BenchOptions options, CpuMonitor cpu, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, "raw-baseline.db");
        var connectionString = $"Data Source={file};Pooling=True;Default Timeout=30";
        var ids = Enumerable.Range(0, Rows).Select(_ => Guid.NewGuid().ToString().ToUpperInvariant()).ToArray();
        await using (var setup = new SqliteConnection(connectionString))
        {
            await setup.OpenAsync(cancellationToken);
            await using (var schema = setup.CreateCommand())
            {
                schema.CommandText = """
                    PRAGMA journal_mode=WAL;
                    CREATE TABLE order_states (id TEXT PRIMARY KEY, version INTEGER NOT NULL, state TEXT NOT NULL, data TEXT NOT NULL);
                    CREATE TABLE outbox (sequence INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL, order_id TEXT NOT NULL,
                        body TEXT NOT NULL, created_at TEXT NOT NULL);
                    """;
                await schema.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var fill = (SqliteTransaction)await setup.BeginTransactionAsync(cancellationToken);
            await using var insert = setup.CreateCommand();
            insert.CommandText = "INSERT INTO order_states VALUES ($id, 1, 'Pending', $data)";
            var id = insert.Parameters.Add("$id", SqliteType.Text);
            insert.Parameters.AddWithValue("$data", new string('x', 600));
            foreach (var value in ids)
            {
                id.Value = value;
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await fill.CommitAsync(cancellationToken);
        }

        var before = cpu.Sample();
        long transactions = 0;
        var clock = Stopwatch.StartNew();
        // Microsoft.Data.Sqlite is synchronous underneath and sleeps while the database is busy: one thread per
        // connection, so waiting writers do not starve the thread pool of this process.
        var workers = Enumerable.Range(0, options.DbConnections).Select(_ => Task.Factory.StartNew(() =>
        {
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            using var select = connection.CreateCommand();
            select.CommandText = "SELECT version, state, data FROM order_states WHERE id = $id";
            var selectId = select.Parameters.Add("$id", SqliteType.Text);
            using var update = connection.CreateCommand();
            update.CommandText = "UPDATE order_states SET version = version + 1, state = $state WHERE id = $id AND version = $version";
            var updateId = update.Parameters.Add("$id", SqliteType.Text);
            update.Parameters.AddWithValue("$state", "AwaitingPayment");
            var updateVersion = update.Parameters.Add("$version", SqliteType.Integer);
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO outbox (message_id, order_id, body, created_at) VALUES ($message, $order, $body, $at)";
            var message = insert.Parameters.Add("$message", SqliteType.Text);
            var order = insert.Parameters.Add("$order", SqliteType.Text);
            insert.Parameters.AddWithValue("$body", new string('m', 400));
            var at = insert.Parameters.Add("$at", SqliteType.Text);

            while (clock.Elapsed < options.RawDuration && !cancellationToken.IsCancellationRequested)
            {
                var id = ids[Random.Shared.Next(ids.Length)];
                using var transaction = connection.BeginTransaction();
                select.Transaction = update.Transaction = insert.Transaction = transaction;
                selectId.Value = id;
                long version;
                using (var row = select.ExecuteReader())
                {
                    row.Read();
                    version = row.GetInt64(0);
                }

                updateId.Value = id;
                updateVersion.Value = version;
                update.ExecuteNonQuery();
                message.Value = Guid.NewGuid().ToString();
                order.Value = id;
                at.Value = DateTimeOffset.UtcNow.ToString("O");
                insert.ExecuteNonQuery();
                transaction.Commit();
                Interlocked.Increment(ref transactions);
            }
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default));
        await Task.WhenAll(workers);
        var seconds = clock.Elapsed.TotalSeconds;
        var after = cpu.Sample();
        SqliteConnection.ClearAllPools();
        return new DbBaseline("SQLite (one file, WAL)", options.DbConnections, transactions, transactions / seconds, transactions,
            cpu.Names.Where(name => name != CpuMonitor.Other).ToDictionary(name => name, name => after.SecondsSince(before, name) / transactions, StringComparer.Ordinal));
    }
}

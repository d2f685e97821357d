using System.Diagnostics;
using GlobalCommerce.Bench.OrderLoad.Measurement;
using Npgsql;

namespace GlobalCommerce.Bench.OrderLoad.Baselines;

// The database's ceiling for work shaped like one saga transition, on the same server: in a scratch database,
// BEGIN; SELECT the row FOR UPDATE; UPDATE it (version + 1); INSERT one outbox row; COMMIT — from K connections at
// once on random rows of a pre-filled table, with prepared statements and no ORM.
public static class RawPostgres
{
    const int Rows = 10_000;

    public static async Task<DbBaseline> RunAsync(PostgresServer server, BenchOptions options, CpuMonitor cpu, CancellationToken cancellationToken)
    {
        var database = "bench_raw_" + Guid.NewGuid().ToString("N")[..8];
        await using (var admin = await server.OpenAsync(cancellationToken))
        await using (var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin))
            await create.ExecuteNonQueryAsync(cancellationToken);

        Guid[] ids;
        await using (var setup = await server.OpenAsync(cancellationToken, database))
        {
            await using (var schema = new NpgsqlCommand($"""
                CREATE TABLE order_states (id uuid PRIMARY KEY, version int NOT NULL, state text NOT NULL, data text NOT NULL);
                CREATE TABLE outbox (sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, message_id uuid NOT NULL,
                    order_id uuid NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL);
                INSERT INTO order_states SELECT gen_random_uuid(), 1, 'Pending', repeat('x', 600) FROM generate_series(1, {Rows});
                ANALYZE order_states;
                """, setup))
                await schema.ExecuteNonQueryAsync(cancellationToken);
            await using var read = new NpgsqlCommand("SELECT id FROM order_states", setup);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            var list = new List<Guid>(Rows);
            while (await reader.ReadAsync(cancellationToken))
                list.Add(reader.GetGuid(0));
            ids = [.. list];
        }

        // Unpooled: pooled idle connections would hold server slots (max_connections) for the rest of the run.
        var connectionString = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = database, Pooling = false }.ConnectionString;
        var walFrom = await server.WalPositionAsync(cancellationToken);
        var before = cpu.Sample();
        long transactions = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, options.DbConnections).Select(async _ =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using var select = new NpgsqlCommand("SELECT version, state, data FROM order_states WHERE id = $1 FOR UPDATE", connection);
            select.Parameters.Add(new NpgsqlParameter<Guid>());
            await using var update = new NpgsqlCommand("UPDATE order_states SET version = version + 1, state = $2 WHERE id = $1 AND version = $3", connection);
            update.Parameters.Add(new NpgsqlParameter<Guid>());
            update.Parameters.Add(new NpgsqlParameter<string>());
            update.Parameters.Add(new NpgsqlParameter<int>());
            await using var insert = new NpgsqlCommand("INSERT INTO outbox (message_id, order_id, body, created_at) VALUES ($1, $2, $3, now())", connection);
            insert.Parameters.Add(new NpgsqlParameter<Guid>());
            insert.Parameters.Add(new NpgsqlParameter<Guid>());
            insert.Parameters.Add(new NpgsqlParameter<string>());
            await select.PrepareAsync(cancellationToken);
            await update.PrepareAsync(cancellationToken);
            await insert.PrepareAsync(cancellationToken);
            var body = new string('m', 400);

            while (clock.Elapsed < options.RawDuration)
            {
                var id = ids[Random.Shared.Next(ids.Length)];
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                ((NpgsqlParameter<Guid>)select.Parameters[0]).TypedValue = id;
                int version;
                await using (var row = await select.ExecuteReaderAsync(cancellationToken))
                {
                    await row.ReadAsync(cancellationToken);
                    version = row.GetInt32(0);
                }

                ((NpgsqlParameter<Guid>)update.Parameters[0]).TypedValue = id;
                ((NpgsqlParameter<string>)update.Parameters[1]).TypedValue = "AwaitingPayment";
                ((NpgsqlParameter<int>)update.Parameters[2]).TypedValue = version;
                await update.ExecuteNonQueryAsync(cancellationToken);
                ((NpgsqlParameter<Guid>)insert.Parameters[0]).TypedValue = Guid.NewGuid();
                ((NpgsqlParameter<Guid>)insert.Parameters[1]).TypedValue = id;
                ((NpgsqlParameter<string>)insert.Parameters[2]).TypedValue = body;
                await insert.ExecuteNonQueryAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                Interlocked.Increment(ref transactions);
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        var after = cpu.Sample();
        var wal = await server.CountCommitsAsync(walFrom, await server.WalPositionAsync(cancellationToken), cancellationToken);
        return new DbBaseline("PostgreSQL", options.DbConnections, transactions, transactions / seconds, wal.Commits,
            cpu.Names.Where(name => name != CpuMonitor.Other).ToDictionary(name => name, name => after.SecondsSince(before, name) / transactions, StringComparer.Ordinal));
    }
}

// CountedCommits: the same window counted the way the platform's commits are (WAL records; SQLite: the transactions
// themselves), which checks the counting method against a known number.
public sealed record DbBaseline(string Engine, int Connections, long Transactions, double TransactionsPerSecond, long CountedCommits,
    IReadOnlyDictionary<string, double> CpuSecondsPerTransaction);

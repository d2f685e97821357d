using System.Collections.Concurrent;
using System.Text;
using Microsoft.Data.Sqlite;

namespace GlobalCommerce.Platform.Streams;

// The embedded default's streams: partitions in one local SQLite file (streams.db in the data folder), so an event a
// transaction committed survives a crash of the process exactly as it would on a broker. Offsets are the file's row ids:
// they only grow, per partition with gaps. Readers in this process are woken by the write itself; retention deletes by
// age. The partition of a key is FNV-1a(key) mod partitions, so a key's events stay in one partition, in order.
public sealed class EmbeddedStreamBackend : IStreamBackend, IAsyncDisposable
{
    readonly string _connectionString;
    readonly SemaphoreSlim _writer = new(1, 1);
    readonly ConcurrentDictionary<(string Stream, int Partition), Pulse> _pulses = new();
    readonly ConcurrentDictionary<string, StreamDefinition> _streams = new(StringComparer.Ordinal);
    readonly TimeProvider _clock;
    readonly CancellationTokenSource _stopping = new();
    Task? _retention;

    public EmbeddedStreamBackend(string path, TimeProvider clock)
    {
        _clock = clock;
        var full = Path.GetFullPath(path);
        // Events carry order and account facts: owner-only, like the domain databases.
        Persistence.DataFiles.OwnerOnly(full);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = full, Pooling = true, DefaultTimeout = 30 }.ToString();
    }

    public string Name => "embedded";

    public async Task EnsureStreamsAsync(IReadOnlyList<StreamDefinition> streams, CancellationToken cancellationToken)
    {
        await using (var connection = await OpenAsync(cancellationToken))
        {
            await ExecuteAsync(connection, """
                PRAGMA journal_mode=WAL;
                CREATE TABLE IF NOT EXISTS stream_event (
                    "offset" INTEGER PRIMARY KEY AUTOINCREMENT,
                    stream TEXT NOT NULL,
                    partition INTEGER NOT NULL,
                    partition_key TEXT NOT NULL,
                    message_type TEXT NOT NULL,
                    event_id TEXT NOT NULL,
                    timestamp INTEGER NOT NULL,
                    trace_parent TEXT NULL,
                    body BLOB NOT NULL);
                CREATE INDEX IF NOT EXISTS ix_stream_event_partition ON stream_event (stream, partition, "offset");
                CREATE INDEX IF NOT EXISTS ix_stream_event_timestamp ON stream_event (timestamp);
                """, cancellationToken);
        }

        foreach (var stream in streams)
            _streams[stream.Name] = stream;
        _retention ??= Task.Run(() => RetentionLoopAsync(_stopping.Token), CancellationToken.None);
    }

    // FNV-1a over the key's UTF-8 bytes: stable across processes and runtimes (string.GetHashCode is not).
    public static int PartitionOf(string partitionKey, int partitions)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(partitionKey))
            hash = (hash ^ b) * 16777619u;
        return (int)(hash % (uint)partitions);
    }

    public async Task ProduceAsync(IReadOnlyList<StreamRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
            return;
        var placed = records.Select(r => (Record: r, Partition: PartitionOf(r.PartitionKey, Definition(r.Stream).Partitions))).ToList();
        await _writer.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO stream_event (stream, partition, partition_key, message_type, event_id, timestamp, trace_parent, body)
                VALUES ($stream, $partition, $key, $type, $id, $ts, $trace, $body)
                """;
            var stream = insert.Parameters.Add("$stream", SqliteType.Text);
            var partition = insert.Parameters.Add("$partition", SqliteType.Integer);
            var key = insert.Parameters.Add("$key", SqliteType.Text);
            var type = insert.Parameters.Add("$type", SqliteType.Text);
            var id = insert.Parameters.Add("$id", SqliteType.Text);
            var ts = insert.Parameters.Add("$ts", SqliteType.Integer);
            var trace = insert.Parameters.Add("$trace", SqliteType.Text);
            var body = insert.Parameters.Add("$body", SqliteType.Blob);
            foreach (var (record, p) in placed)
            {
                stream.Value = record.Stream;
                partition.Value = p;
                key.Value = record.PartitionKey;
                type.Value = record.MessageType;
                id.Value = record.EventId.ToString("D");
                ts.Value = record.Timestamp.ToUnixTimeMilliseconds();
                trace.Value = (object?)record.TraceParent ?? DBNull.Value;
                body.Value = record.Body;
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            _writer.Release();
        }

        foreach (var target in placed.Select(p => (p.Record.Stream, p.Partition)).Distinct())
            PulseOf(target.Stream, target.Partition).Set();
    }

    public Task<IPartitionReader> OpenAsync(string stream, int partition, long? from, CancellationToken cancellationToken)
    {
        var definition = Definition(stream);
        if (partition < 0 || partition >= definition.Partitions)
            throw new ArgumentOutOfRangeException(nameof(partition), partition, $"{stream} has {definition.Partitions} partitions");
        return Task.FromResult<IPartitionReader>(new Reader(this, stream, partition, from ?? 0));
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_retention is not null)
            await _retention.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
        _writer.Dispose();
        // Every partition reader returned its connection to the pool: close them with the backend, or a process that
        // starts and stops hosts (the API tests, a host per test) keeps the file open once per reader for good.
        using var pooled = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(pooled);
    }

    StreamDefinition Definition(string stream) =>
        _streams.TryGetValue(stream, out var definition)
            ? definition
            : throw new InvalidOperationException($"The stream {stream} does not exist: EnsureStreamsAsync declares it");

    Pulse PulseOf(string stream, int partition) => _pulses.GetOrAdd((stream, partition), _ => new Pulse());

    async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    async Task RetentionLoopAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), _clock);
        try
        {
            do
            {
                try
                {
                    await DeleteExpiredAsync(stopping);
                }
                catch (SqliteException)
                {
                    // A busy file: the next round deletes what this one could not.
                }
            }
            while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    public async Task DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow();
        await _writer.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            foreach (var stream in _streams.Values)
            {
                await using var delete = connection.CreateCommand();
                delete.CommandText = "DELETE FROM stream_event WHERE stream = $stream AND timestamp < $cutoff";
                delete.Parameters.AddWithValue("$stream", stream.Name);
                delete.Parameters.AddWithValue("$cutoff", (now - stream.Retention).ToUnixTimeMilliseconds());
                await delete.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        finally
        {
            _writer.Release();
        }
    }

    sealed class Reader(EmbeddedStreamBackend backend, string stream, int partition, long next) : IPartitionReader
    {
        SqliteConnection? _connection;

        public async ValueTask<IReadOnlyList<StreamEnvelope>> ReadAsync(int max, TimeSpan wait, CancellationToken cancellationToken)
        {
            var pulse = backend.PulseOf(stream, partition);
            var deadline = backend._clock.GetUtcNow() + wait;
            while (true)
            {
                // Armed before the query: a write that lands after it still wakes this reader.
                var signalled = pulse.Arm();
                var events = await QueryAsync(max, cancellationToken);
                if (events.Count > 0)
                {
                    next = events[^1].Offset + 1;
                    return events;
                }

                var left = deadline - backend._clock.GetUtcNow();
                if (left <= TimeSpan.Zero)
                    return [];
                await signalled.WaitAsync(left, backend._clock, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        async Task<List<StreamEnvelope>> QueryAsync(int max, CancellationToken cancellationToken)
        {
            _connection ??= await backend.OpenAsync(cancellationToken);
            await using var query = _connection.CreateCommand();
            query.CommandText = """
                SELECT "offset", partition_key, message_type, event_id, timestamp, trace_parent, body FROM stream_event
                WHERE stream = $stream AND partition = $partition AND "offset" >= $next ORDER BY "offset" LIMIT $max
                """;
            query.Parameters.AddWithValue("$stream", stream);
            query.Parameters.AddWithValue("$partition", partition);
            query.Parameters.AddWithValue("$next", next);
            query.Parameters.AddWithValue("$max", max);
            var events = new List<StreamEnvelope>();
            await using var reader = await query.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                events.Add(new StreamEnvelope(stream, partition, reader.GetInt64(0), Guid.Parse(reader.GetString(3)), reader.GetString(1),
                    reader.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)), (byte[])reader.GetValue(6),
                    reader.IsDBNull(5) ? null : reader.GetString(5)));
            }

            return events;
        }

        public async ValueTask DisposeAsync()
        {
            if (_connection is not null)
                await _connection.DisposeAsync();
        }
    }

    // Wakes the readers of one partition when something is written to it.
    sealed class Pulse
    {
        TaskCompletionSource _current = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Arm() => Volatile.Read(ref _current).Task;

        public void Set() => Interlocked.Exchange(ref _current, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}

using System.Collections.Concurrent;
using System.Text;
using Microsoft.Data.Sqlite;

namespace GlobalCommerce.Platform.Streams;

// The embedded default's streams: partitions in one local SQLite file (streams.db in the data folder), so an event a
// transaction committed survives a crash of the process exactly as it would on a broker. Offsets are the file's row ids:
// they only grow, per partition with gaps. Readers in this process are woken by the write itself; retention deletes by
// age. The partition of a key is FNV-1a(key) mod partitions, so a key's events stay in one partition, in order.
//
// One process writes a file (the embedded default is one process per data folder; a second one is refused at start),
// so this process sees every write: each partition's newest events are kept in memory as well (its tail), and a reader
// at or past the tail's start reads from there instead of the file. Every consumer group reads every event of its
// streams (six groups read inventory-events), and those that keep up never touch the file; one that fell behind the
// tail reads the file until it catches up. The file stays the record: a restart reads it, and the tail starts empty.
public sealed class EmbeddedStreamBackend : IStreamBackend, IAsyncDisposable
{
    static readonly Dictionary<string, StreamFile> Files = new(StringComparer.Ordinal);

    readonly string _connectionString;
    readonly string _path;
    readonly StreamFile _file;
    readonly ConcurrentDictionary<string, StreamDefinition> _streams = new(StringComparer.Ordinal);
    readonly TimeProvider _clock;
    readonly CancellationTokenSource _stopping = new();
    Task? _retention;
    int _disposed;

    public EmbeddedStreamBackend(string path, TimeProvider clock, int tailEvents = 2048)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tailEvents);
        _clock = clock;
        _path = Path.GetFullPath(path);
        // Events carry order and account facts: owner-only, like the domain databases.
        Persistence.DataFiles.OwnerOnly(_path);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = _path, Pooling = true, DefaultTimeout = 30 }.ToString();
        _file = StreamFile.Open(_path, tailEvents);
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
        await _file.StartTailsAsync(OpenAsync, cancellationToken);
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
        var written = new StreamEnvelope[placed.Count];
        await _file.Writer.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO stream_event (stream, partition, partition_key, message_type, event_id, timestamp, trace_parent, body)
                VALUES ($stream, $partition, $key, $type, $id, $ts, $trace, $body)
                RETURNING "offset"
                """;
            var stream = insert.Parameters.Add("$stream", SqliteType.Text);
            var partition = insert.Parameters.Add("$partition", SqliteType.Integer);
            var key = insert.Parameters.Add("$key", SqliteType.Text);
            var type = insert.Parameters.Add("$type", SqliteType.Text);
            var id = insert.Parameters.Add("$id", SqliteType.Text);
            var ts = insert.Parameters.Add("$ts", SqliteType.Integer);
            var trace = insert.Parameters.Add("$trace", SqliteType.Text);
            var body = insert.Parameters.Add("$body", SqliteType.Blob);
            for (var i = 0; i < placed.Count; i++)
            {
                var (record, p) = placed[i];
                stream.Value = record.Stream;
                partition.Value = p;
                key.Value = record.PartitionKey;
                type.Value = record.MessageType;
                id.Value = record.EventId.ToString("D");
                ts.Value = record.Timestamp.ToUnixTimeMilliseconds();
                trace.Value = (object?)record.TraceParent ?? DBNull.Value;
                body.Value = record.Body;
                var offset = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
                // Read back as a reader of the file would get it (timestamps at millisecond precision).
                written[i] = new StreamEnvelope(record.Stream, p, offset, record.EventId, record.PartitionKey, record.MessageType,
                    DateTimeOffset.FromUnixTimeMilliseconds(record.Timestamp.ToUnixTimeMilliseconds()), record.Body, record.TraceParent);
            }

            await transaction.CommitAsync(cancellationToken);
            // Still holding the write turn: each tail gets its events in offset order.
            foreach (var envelope in written)
                _file.TailOf(envelope.Stream, envelope.Partition).Append(envelope);
        }
        finally
        {
            _file.Writer.Release();
        }

        foreach (var target in placed.Select(p => (p.Record.Stream, p.Partition)).Distinct())
            _file.PulseOf(target.Stream, target.Partition).Set();
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
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stopping.CancelAsync();
        if (_retention is not null)
            await _retention.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
        StreamFile.Release(_path);
        // Every partition reader returned its connection to the pool: close them with the backend, or a process that
        // starts and stops hosts (the API tests, a host per test) keeps the file open once per reader for good.
        using var pooled = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(pooled);
    }

    StreamDefinition Definition(string stream) =>
        _streams.TryGetValue(stream, out var definition)
            ? definition
            : throw new InvalidOperationException($"The stream {stream} does not exist: EnsureStreamsAsync declares it");

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
        await _file.Writer.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            foreach (var stream in _streams.Values)
            {
                var cutoff = (now - stream.Retention).ToUnixTimeMilliseconds();
                await using var delete = connection.CreateCommand();
                delete.CommandText = "DELETE FROM stream_event WHERE stream = $stream AND timestamp < $cutoff";
                delete.Parameters.AddWithValue("$stream", stream.Name);
                delete.Parameters.AddWithValue("$cutoff", cutoff);
                await delete.ExecuteNonQueryAsync(cancellationToken);
                // The tails lose what the file lost, so a reader finds the same events in either.
                for (var partition = 0; partition < stream.Partitions; partition++)
                    _file.TailOf(stream.Name, partition).DropOlderThan(cutoff);
            }
        }
        finally
        {
            _file.Writer.Release();
        }
    }

    sealed class Reader(EmbeddedStreamBackend backend, string stream, int partition, long next) : IPartitionReader
    {
        SqliteConnection? _connection;

        public async ValueTask<IReadOnlyList<StreamEnvelope>> ReadAsync(int max, TimeSpan wait, CancellationToken cancellationToken)
        {
            var pulse = backend._file.PulseOf(stream, partition);
            var tail = backend._file.TailOf(stream, partition);
            var deadline = backend._clock.GetUtcNow() + wait;
            while (true)
            {
                // Armed before the query: a write that lands after it still wakes this reader.
                var signalled = pulse.Arm();
                var events = tail.TryRead(next, max) ?? await QueryAsync(max, cancellationToken);
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

    // What the backends of one file in this process share: the write turn, the readers' wake-ups, the tails, and the
    // lock that keeps other processes out of the file.
    sealed class StreamFile
    {
        readonly ConcurrentDictionary<(string Stream, int Partition), Pulse> _pulses = new();
        readonly ConcurrentDictionary<(string Stream, int Partition), Tail> _tails = new();
        readonly int _tailEvents;
        readonly FileStream _owner;
        // Offsets from here on were all written by this process (long.MaxValue until the file has been looked at).
        long _tailStart = long.MaxValue;
        int _users;

        StreamFile(FileStream owner, int tailEvents)
        {
            _owner = owner;
            _tailEvents = tailEvents;
        }

        public SemaphoreSlim Writer { get; } = new(1, 1);

        public static StreamFile Open(string path, int tailEvents)
        {
            lock (Files)
            {
                if (!Files.TryGetValue(path, out var file))
                {
                    FileStream owner;
                    try
                    {
                        // An exclusive lock (flock on Unix) that the kernel lets go of when the process ends, however it ends.
                        // Owner-only, like everything in the data folder.
                        Persistence.DataFiles.OwnerOnly(path + "-owner");
                        owner = new FileStream(path + "-owner", FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                    }
                    catch (IOException exception)
                    {
                        throw new InvalidOperationException(
                            $"The stream file {path} is in use by another process. The embedded default runs as one process per data folder; " +
                            "give this one its own Commerce:DataDirectory (or Commerce:Streams:EmbeddedPath).", exception);
                    }

                    Files[path] = file = new StreamFile(owner, tailEvents);
                }

                file._users++;
                return file;
            }
        }

        public static void Release(string path)
        {
            lock (Files)
            {
                if (!Files.TryGetValue(path, out var file) || --file._users > 0)
                    return;
                Files.Remove(path);
                file._owner.Dispose();
                file.Writer.Dispose();
            }
        }

        // Once per file and process, before the first write or read: the tails start after the newest event on file.
        public async Task StartTailsAsync(Func<CancellationToken, Task<SqliteConnection>> open, CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref _tailStart) != long.MaxValue || _tailEvents == 0)
                return;
            // Under the write turn: no event is being written while the newest one is looked up.
            await Writer.WaitAsync(cancellationToken);
            try
            {
                if (_tailStart != long.MaxValue)
                    return;
                await using var connection = await open(cancellationToken);
                await using var last = connection.CreateCommand();
                // AUTOINCREMENT never hands out an offset at or below one used before, deleted or not.
                last.CommandText = """SELECT COALESCE(MAX("offset"), 0) FROM stream_event""";
                var newest = (long)(await last.ExecuteScalarAsync(cancellationToken))!;
                Volatile.Write(ref _tailStart, newest + 1);
            }
            finally
            {
                Writer.Release();
            }
        }

        public Pulse PulseOf(string stream, int partition) => _pulses.GetOrAdd((stream, partition), static _ => new Pulse());

        public Tail TailOf(string stream, int partition) =>
            _tails.GetOrAdd((stream, partition), static (_, file) => new Tail(file._tailEvents, Volatile.Read(ref file._tailStart)), this);
    }

    // A partition's newest events, in offset order (a ring). Covers every event of the partition from CoveredFrom on:
    // older ones are only on file. Appended under the file's write turn, so in order; read by any number of readers.
    sealed class Tail(int capacity, long coveredFrom)
    {
        readonly Lock _lock = new();
        readonly StreamEnvelope[] _ring = new StreamEnvelope[capacity];
        int _head;
        int _count;
        long _coveredFrom = coveredFrom;

        public void Append(StreamEnvelope envelope)
        {
            lock (_lock)
            {
                // A tail made before the file was looked at (or with no room) covers nothing.
                if (_coveredFrom == long.MaxValue || capacity == 0)
                    return;
                if (_count == capacity)
                {
                    _coveredFrom = _ring[_head].Offset + 1;
                    _head = (_head + 1) % capacity;
                    _count--;
                }

                _ring[(_head + _count) % capacity] = envelope;
                _count++;
            }
        }

        // Up to max events from offset next on, or null when some of them may be only on file.
        public List<StreamEnvelope>? TryRead(long next, int max)
        {
            lock (_lock)
            {
                if (next < _coveredFrom)
                    return null;
                // The first event at or after next: the ring is sorted by offset.
                int low = 0, high = _count;
                while (low < high)
                {
                    var middle = (low + high) >>> 1;
                    if (At(middle).Offset < next)
                        low = middle + 1;
                    else
                        high = middle;
                }

                var events = new List<StreamEnvelope>(Math.Min(max, _count - low));
                for (var i = low; i < _count && events.Count < max; i++)
                    events.Add(At(i));
                return events;
            }
        }

        // Retention: what the file no longer holds leaves the tail too; the tail still covers the same offsets.
        public void DropOlderThan(long cutoff)
        {
            lock (_lock)
            {
                var kept = new List<StreamEnvelope>(_count);
                for (var i = 0; i < _count; i++)
                {
                    if (At(i).Timestamp.ToUnixTimeMilliseconds() >= cutoff)
                        kept.Add(At(i));
                }

                if (kept.Count == _count)
                    return;
                Array.Clear(_ring);
                kept.CopyTo(_ring);
                _head = 0;
                _count = kept.Count;
            }
        }

        StreamEnvelope At(int index) => _ring[(_head + index) % capacity];
    }
}

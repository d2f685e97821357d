using System.Text;
using GlobalCommerce.Platform.Streams;

namespace GlobalCommerce.Consumers.Tests.Streams;

// The embedded backend's in-memory tails: a reader gets exactly what the file holds, in offset order, whether it reads
// from the tail, from the file, or crosses from one to the other; backends of one file in a process share it; a
// second process is refused; retention empties both alike.
public sealed class EmbeddedStreamBackendTests : IDisposable
{
    const string Stream = "order-events";
    readonly string _folder = Path.Combine(Path.GetTempPath(), "gc-embedded-streams-" + Guid.NewGuid().ToString("N")[..8]);
    readonly ManualClock _clock = new(DateTimeOffset.Parse("2026-12-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    public EmbeddedStreamBackendTests() => Directory.CreateDirectory(_folder);

    string File => Path.Combine(_folder, "streams.db");

    static readonly StreamDefinition[] Streams = [new(Stream, 2, TimeSpan.FromHours(1))];

    [Fact]
    public async Task A_reader_behind_the_tail_reads_the_file_then_the_tail_and_gets_every_event_once_in_order()
    {
        var partition = EmbeddedStreamBackend.PartitionOf("account-1", 2);
        var produced = new List<StreamRecord>();
        List<StreamEnvelope> fromTailAndFile;
        await using (var backend = new EmbeddedStreamBackend(File, _clock, tailEvents: 8))
        {
            await backend.EnsureStreamsAsync(Streams, CancellationToken.None);
            // One key: one partition, 30 events in 3 writes; the tail keeps the last 8.
            for (var write = 0; write < 3; write++)
            {
                var records = Enumerable.Range(write * 10, 10).Select(i => Record("account-1", i)).ToList();
                await backend.ProduceAsync(records, CancellationToken.None);
                produced.AddRange(records);
            }

            fromTailAndFile = await ReadAllAsync(backend, partition, batch: 7, expected: 30);
        }

        Assert.Equal(produced.Select(r => r.EventId), fromTailAndFile.Select(e => e.EventId));
        Assert.True(fromTailAndFile.Zip(fromTailAndFile.Skip(1)).All(p => p.First.Offset < p.Second.Offset));

        // What the file alone gives (the process's backends of the file are gone, so no tail is shared): the same events,
        // offsets, bodies, keys, types, timestamps and trace parents.
        await using var fileOnly = new EmbeddedStreamBackend(File, _clock, tailEvents: 0);
        await fileOnly.EnsureStreamsAsync(Streams, CancellationToken.None);
        await using var fileReader = await fileOnly.OpenAsync(Stream, partition, null, CancellationToken.None);
        var fromFile = await fileReader.ReadAsync(100, TimeSpan.Zero, CancellationToken.None);
        Assert.Equal(fromFile.Count, fromTailAndFile.Count);
        foreach (var (file, read) in fromFile.Zip(fromTailAndFile))
        {
            Assert.Equal(file with { Body = [] }, read with { Body = [] });
            Assert.Equal(file.Body, read.Body);
        }
    }

    [Fact]
    public async Task A_reader_at_the_tail_wakes_for_a_write_and_reads_it_from_memory_and_a_restart_reads_the_file()
    {
        var partition = EmbeddedStreamBackend.PartitionOf("account-2", 2);
        List<Guid> first;
        await using (var backend = new EmbeddedStreamBackend(File, _clock, tailEvents: 64))
        {
            await backend.EnsureStreamsAsync(Streams, CancellationToken.None);
            await using var reader = await backend.OpenAsync(Stream, partition, null, CancellationToken.None);
            Assert.Empty(await reader.ReadAsync(10, TimeSpan.Zero, CancellationToken.None));
            var waiting = reader.ReadAsync(10, TimeSpan.FromSeconds(30), CancellationToken.None).AsTask();
            var records = Enumerable.Range(0, 5).Select(i => Record("account-2", i)).ToList();
            await backend.ProduceAsync(records, CancellationToken.None);
            var read = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(records.Select(r => r.EventId), read.Select(e => e.EventId));
            first = [.. read.Select(e => e.EventId)];
        }

        // A new process (the tail starts empty) reads what the last one wrote from the file, then its own writes.
        await using var restarted = new EmbeddedStreamBackend(File, _clock, tailEvents: 64);
        await restarted.EnsureStreamsAsync(Streams, CancellationToken.None);
        var more = Enumerable.Range(5, 5).Select(i => Record("account-2", i)).ToList();
        await restarted.ProduceAsync(more, CancellationToken.None);
        var all = await ReadAllAsync(restarted, partition, batch: 3, expected: 10);
        Assert.Equal(first.Concat(more.Select(r => r.EventId)), all.Select(e => e.EventId));
    }

    [Fact]
    public async Task Two_backends_of_one_file_in_a_process_read_each_others_writes()
    {
        await using var a = new EmbeddedStreamBackend(File, _clock, tailEvents: 16);
        await using var b = new EmbeddedStreamBackend(File, _clock, tailEvents: 16);
        await a.EnsureStreamsAsync(Streams, CancellationToken.None);
        await b.EnsureStreamsAsync(Streams, CancellationToken.None);
        var partition = EmbeddedStreamBackend.PartitionOf("account-3", 2);
        await using var reader = await b.OpenAsync(Stream, partition, null, CancellationToken.None);
        Assert.Empty(await reader.ReadAsync(10, TimeSpan.Zero, CancellationToken.None));

        var records = Enumerable.Range(0, 4).Select(i => Record("account-3", i)).ToList();
        await a.ProduceAsync(records, CancellationToken.None);
        var read = await reader.ReadAsync(10, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal(records.Select(r => r.EventId), read.Select(e => e.EventId));
    }

    [Fact]
    public async Task Another_process_holding_the_file_is_refused_with_the_reason()
    {
        // What another process running on this data folder holds (an exclusive lock on the file's owner lock).
        await using (var other = new FileStream(File + "-owner", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var refused = Assert.Throws<InvalidOperationException>(() => new EmbeddedStreamBackend(File, _clock));
            Assert.Contains("in use by another process", refused.Message, StringComparison.Ordinal);
        }

        // Once that process is gone, the file is free.
        await using var backend = new EmbeddedStreamBackend(File, _clock);
        await backend.EnsureStreamsAsync(Streams, CancellationToken.None);
    }

    [Fact]
    public async Task Retention_removes_old_events_from_the_tail_as_from_the_file()
    {
        var partition = EmbeddedStreamBackend.PartitionOf("account-4", 2);
        var recent = Enumerable.Range(3, 3).Select(i => Record("account-4", i, _clock.GetUtcNow())).ToList();
        await using (var backend = new EmbeddedStreamBackend(File, _clock, tailEvents: 64))
        {
            await backend.EnsureStreamsAsync(Streams, CancellationToken.None);
            var old = Enumerable.Range(0, 3).Select(i => Record("account-4", i, _clock.GetUtcNow() - TimeSpan.FromHours(2))).ToList();
            // Timestamps need not follow offsets: an old one after a recent one.
            await backend.ProduceAsync([old[0], recent[0], old[1], recent[1], old[2], recent[2]], CancellationToken.None);

            await backend.DeleteExpiredAsync(CancellationToken.None);

            var fromTail = await ReadAllAsync(backend, partition, batch: 10, expected: 3);
            Assert.Equal(recent.Select(r => r.EventId), fromTail.Select(e => e.EventId));
        }

        await using var fileOnly = new EmbeddedStreamBackend(File, _clock, tailEvents: 0);
        await fileOnly.EnsureStreamsAsync(Streams, CancellationToken.None);
        await using var fileReader = await fileOnly.OpenAsync(Stream, partition, null, CancellationToken.None);
        Assert.Equal(recent.Select(r => r.EventId), (await fileReader.ReadAsync(10, TimeSpan.Zero, CancellationToken.None)).Select(e => e.EventId));
    }

    static async Task<List<StreamEnvelope>> ReadAllAsync(EmbeddedStreamBackend backend, int partition, int batch, int expected)
    {
        await using var reader = await backend.OpenAsync(Stream, partition, null, CancellationToken.None);
        var read = new List<StreamEnvelope>();
        while (true)
        {
            var events = await reader.ReadAsync(batch, TimeSpan.Zero, CancellationToken.None);
            Assert.True(events.Count <= batch);
            if (events.Count == 0)
                break;
            read.AddRange(events);
        }

        Assert.Equal(expected, read.Count);
        return read;
    }

    StreamRecord Record(string key, int sequence, DateTimeOffset? at = null) =>
        new(Guid.NewGuid(), Stream, key, "LedgerEvent", Encoding.UTF8.GetBytes($"{{\"sequence\":{sequence}}}"), at ?? _clock.GetUtcNow(),
            sequence % 2 == 0 ? "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" : null);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

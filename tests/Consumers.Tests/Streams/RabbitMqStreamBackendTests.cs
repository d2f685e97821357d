using System.Text;
using GlobalCommerce.Platform.Streams;
using GlobalCommerce.Platform.Streams.RabbitMq;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace GlobalCommerce.Consumers.Tests.Streams;

// Against the suite's RabbitMQ: every test declares streams of its own (t-{guid}) and deletes them at the end.
public sealed class RabbitMqStreamBackendTests : IAsyncLifetime
{
    const string MessageType = "GlobalCommerce.Tests.Counted";
    static readonly TimeSpan Week = TimeSpan.FromDays(7);

    readonly StreamTestBroker _broker = StreamTestBroker.FromEnvironment();
    readonly List<(string Stream, int Partitions, Uri? Address)> _created = [];
    readonly List<string> _virtualHosts = [];
    RabbitMqStreamBackend _backend = null!;

    public Task InitializeAsync()
    {
        _backend = _broker.Backend();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        foreach (var (stream, partitions, address) in _created)
            await _broker.DeleteStreamAsync(stream, partitions, address);
        foreach (var virtualHost in _virtualHosts)
            await _broker.CtlAsync("delete_vhost", virtualHost);
    }

    [Fact]
    public async Task Every_key_lands_in_one_partition_in_produce_order()
    {
        var stream = await CreateStreamAsync(partitions: 4);
        var random = new Random(20_240_601);
        var produced = new Dictionary<string, int>();
        var records = Enumerable.Range(0, 2_000).Select(_ =>
        {
            var key = $"sku-{random.Next(50)}";
            var sequence = produced[key] = produced.GetValueOrDefault(key) + 1;
            return Record(stream, key, sequence, traceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        }).ToList();

        await _backend.ProduceAsync(records, CancellationToken.None);

        var read = await ReadAllAsync(stream, partitions: 4, expected: records.Count);
        Assert.Equal(records.Count, read.Sum(partition => partition.Count));
        Assert.Equal(50, produced.Count);
        foreach (var (key, count) in produced)
        {
            var holders = read.Select((events, partition) => (partition, events: events.Where(e => e.PartitionKey == key).ToList()))
                .Where(p => p.events.Count > 0).ToList();
            var holder = Assert.Single(holders);
            Assert.Equal(Enumerable.Range(1, count), holder.events.Select(Sequence));
        }

        Assert.True(read.Count(events => events.Count > 0) > 1, "50 keys all hashed to one of 4 partitions");
        foreach (var events in read.Where(events => events.Count > 0))
            Assert.Equal(Enumerable.Range(0, events.Count).Select(i => events[0].Offset + i), events.Select(e => e.Offset));

        var sent = records.ToDictionary(r => r.EventId);
        foreach (var envelope in read.SelectMany(events => events))
        {
            var record = sent[envelope.EventId];
            Assert.Equal(stream, envelope.Stream);
            Assert.Equal(record.PartitionKey, envelope.PartitionKey);
            Assert.Equal(MessageType, envelope.MessageType);
            Assert.Equal(record.Timestamp.ToUnixTimeMilliseconds(), envelope.Timestamp.ToUnixTimeMilliseconds());
            Assert.Equal(record.TraceParent, envelope.TraceParent);
            Assert.Equal(record.Body, envelope.Body);
        }
    }

    [Fact]
    public async Task A_reader_starts_at_the_first_retained_event_or_exactly_at_the_offset_it_is_given()
    {
        var stream = await CreateStreamAsync(partitions: 1);
        await _backend.ProduceAsync([.. Enumerable.Range(1, 30).Select(i => Record(stream, "order-1", i))], CancellationToken.None);

        List<StreamEnvelope> all;
        await using (var fromFirst = await _backend.OpenAsync(stream, 0, from: null, CancellationToken.None))
            all = await ReadAsync(fromFirst, 30);
        Assert.Equal(Enumerable.Range(1, 30), all.Select(Sequence));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => all[0].Offset + i), all.Select(e => e.Offset));
        Assert.All(all, e => Assert.Equal(0, e.Partition));

        var n = all[17].Offset;
        await using (var fromN = await _backend.OpenAsync(stream, 0, from: n, CancellationToken.None))
        {
            var rest = await ReadAsync(fromN, 13);
            Assert.Equal(n, rest[0].Offset);
            Assert.Equal(Enumerable.Range(18, 13), rest.Select(Sequence));
            Assert.Empty(await fromN.ReadAsync(100, TimeSpan.FromMilliseconds(300), CancellationToken.None));
        }

        // From the next offset (a checkpoint at the end): nothing until something new is produced, then exactly that.
        await using var fromEnd = await _backend.OpenAsync(stream, 0, from: all[^1].Offset + 1, CancellationToken.None);
        Assert.Empty(await fromEnd.ReadAsync(100, TimeSpan.FromMilliseconds(500), CancellationToken.None));
        await _backend.ProduceAsync([Record(stream, "order-1", 31)], CancellationToken.None);
        var next = Assert.Single(await ReadAsync(fromEnd, 1));
        Assert.Equal((all[^1].Offset + 1, 31), (next.Offset, Sequence(next)));
    }

    [Fact]
    public async Task Two_readers_of_one_partition_each_get_every_event()
    {
        var stream = await CreateStreamAsync(partitions: 1);
        await _backend.ProduceAsync([.. Enumerable.Range(1, 500).Select(i => Record(stream, $"user-{i % 7}", i))], CancellationToken.None);

        await using var first = await _backend.OpenAsync(stream, 0, null, CancellationToken.None);
        await using var second = await _backend.OpenAsync(stream, 0, null, CancellationToken.None);
        var read = await Task.WhenAll(ReadAsync(first, 500), ReadAsync(second, 500));

        // Keys keep their order; different keys may interleave differently from how they were given.
        Assert.Equal(Enumerable.Range(1, 500), read[0].Select(Sequence).Order());
        Assert.All(read[0].GroupBy(e => e.PartitionKey), key => Assert.Equal(key.Select(Sequence).Order(), key.Select(Sequence)));
        Assert.Equal(read[0].Select(e => (e.Offset, e.EventId)), read[1].Select(e => (e.Offset, e.EventId)));
    }

    [Fact]
    public async Task Declaring_streams_twice_changes_nothing_and_gives_stream_queues_with_their_retention()
    {
        var stream = StreamTestBroker.NewStreamName();
        var daily = StreamTestBroker.NewStreamName();
        _created.Add((stream, 3, null));
        _created.Add((daily, 2, null));
        StreamDefinition[] definitions = [new(stream, 3, Week), new(daily, 2, TimeSpan.FromHours(24))];

        await _backend.EnsureStreamsAsync(definitions, CancellationToken.None);
        await _backend.ProduceAsync([Record(stream, "k", 1)], CancellationToken.None);
        await _backend.EnsureStreamsAsync(definitions, CancellationToken.None);
        await using (var reader = await _backend.OpenAsync(stream, 0, null, CancellationToken.None))
        {
            await using var other = await _backend.OpenAsync(stream, 1, null, CancellationToken.None);
            await using var third = await _backend.OpenAsync(stream, 2, null, CancellationToken.None);
            var found = (await Task.WhenAll(
                [reader.ReadAsync(10, TimeSpan.FromSeconds(2), default).AsTask(), other.ReadAsync(10, TimeSpan.FromSeconds(2), default).AsTask(),
                    third.ReadAsync(10, TimeSpan.FromSeconds(2), default).AsTask()])).SelectMany(e => e).ToList();
            Assert.Equal(1, Sequence(Assert.Single(found)));
        }

        if (_broker.Ctl is not null)
        {
            var queues = (await _broker.CtlAsync("list_queues", "name", "type", "arguments"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split('\t'))
                .Where(columns => columns[0].StartsWith(stream + ".", StringComparison.Ordinal) || columns[0].StartsWith(daily + ".", StringComparison.Ordinal))
                .ToDictionary(columns => columns[0], columns => (Type: columns[1], Arguments: columns[2]));
            Assert.Equal(
                new[] { $"{daily}.0", $"{daily}.1", $"{stream}.0", $"{stream}.1", $"{stream}.2" }.Order(StringComparer.Ordinal),
                queues.Keys.Order(StringComparer.Ordinal));
            Assert.All(queues.Values, q => Assert.Equal("stream", q.Type));
            Assert.All(queues.Where(q => q.Key.StartsWith(stream, StringComparison.Ordinal)), q => Assert.Contains("{\"x-max-age\",\"7D\"}", q.Value.Arguments, StringComparison.Ordinal));
            Assert.All(queues.Where(q => q.Key.StartsWith(daily, StringComparison.Ordinal)), q => Assert.Contains("{\"x-max-age\",\"1D\"}", q.Value.Arguments, StringComparison.Ordinal));
        }
        else
        {
            // Without the CLI: a classic queue of that name would be refused, so it is a stream queue.
            await using var connection = await _broker.ConnectAsync();
            await using var channel = await connection.CreateChannelAsync();
            var refused = await Assert.ThrowsAsync<OperationInterruptedException>(() => channel.QueueDeclareAsync(
                $"{stream}.0", durable: true, exclusive: false, autoDelete: false, new Dictionary<string, object?> { ["x-queue-type"] = "classic" }));
            Assert.Equal(Constants.PreconditionFailed, (int?)refused.ShutdownReason?.ReplyCode);
        }
    }

    [Fact]
    public void Retention_is_written_in_the_largest_exact_unit_RabbitMQ_knows()
    {
        Assert.Equal("7D", RabbitMqStreamTopology.MaxAge(TimeSpan.FromDays(7)));
        Assert.Equal("1D", RabbitMqStreamTopology.MaxAge(TimeSpan.FromHours(24)));
        Assert.Equal("36h", RabbitMqStreamTopology.MaxAge(TimeSpan.FromHours(36)));
        Assert.Equal("90m", RabbitMqStreamTopology.MaxAge(TimeSpan.FromMinutes(90)));
        Assert.Equal("2s", RabbitMqStreamTopology.MaxAge(TimeSpan.FromMilliseconds(1_500)));
        Assert.Throws<ArgumentOutOfRangeException>(() => RabbitMqStreamTopology.MaxAge(TimeSpan.Zero));
    }

    [Fact]
    public async Task A_stream_queue_declared_with_other_arguments_gives_an_error_that_says_which_and_how_to_fix_it()
    {
        var stream = await CreateStreamAsync(partitions: 2);

        var changed = await Assert.ThrowsAsync<RabbitMqStreamException>(() =>
            _backend.EnsureStreamsAsync([new StreamDefinition(stream, 2, TimeSpan.FromDays(1))], CancellationToken.None));

        Assert.Contains($"'{stream}.0'", changed.Message, StringComparison.Ordinal);
        Assert.Contains("x-max-age", changed.Message, StringComparison.Ordinal);
        Assert.Contains("delete", changed.Message, StringComparison.Ordinal);
        Assert.Contains("align the configuration", changed.Message, StringComparison.Ordinal);

        var fewer = await Assert.ThrowsAsync<RabbitMqStreamException>(() =>
            _backend.EnsureStreamsAsync([new StreamDefinition(stream, 1, Week)], CancellationToken.None));
        Assert.Contains($"'{stream}.1'", fewer.Message, StringComparison.Ordinal);
        Assert.Contains("Partitions", fewer.Message, StringComparison.Ordinal);

        // The backend is still usable after the refused declarations.
        await _backend.EnsureStreamsAsync([new StreamDefinition(stream, 2, Week)], CancellationToken.None);
        await _backend.ProduceAsync([Record(stream, "k", 1)], CancellationToken.None);
    }

    [Fact]
    public async Task Producing_to_a_stream_that_does_not_exist_fails()
    {
        var missing = StreamTestBroker.NewStreamName();
        var never = await Assert.ThrowsAsync<RabbitMqStreamException>(() =>
            _backend.ProduceAsync([Record(missing, "k", 1)], CancellationToken.None));
        Assert.Contains($"'{missing}' does not exist", never.Message, StringComparison.Ordinal);

        // Deleted after this backend saw it: the publish closes the channel, and the confirm never comes.
        var deleted = await CreateStreamAsync(partitions: 2);
        await _backend.ProduceAsync([Record(deleted, "k", 1)], CancellationToken.None);
        await _broker.DeleteStreamAsync(deleted, 2);
        var gone = await Assert.ThrowsAsync<RabbitMqStreamException>(() =>
            _backend.ProduceAsync([.. Enumerable.Range(2, 100).Select(i => Record(deleted, $"k{i}", i))], CancellationToken.None));
        Assert.Contains("404", gone.Message, StringComparison.Ordinal);

        // An exchange with no queues left: the mandatory publish comes back.
        var unbound = await CreateStreamAsync(partitions: 1);
        await using (var connection = await _broker.ConnectAsync())
        await using (var channel = await connection.CreateChannelAsync())
            await channel.QueueDeleteAsync($"{unbound}.0", ifUnused: false, ifEmpty: false);
        var returned = await Assert.ThrowsAsync<RabbitMqStreamException>(() =>
            _backend.ProduceAsync([Record(unbound, "k", 1)], CancellationToken.None));
        Assert.Contains("unroutable", returned.Message, StringComparison.Ordinal);

        // And the backend recovers its producer channel for streams that do exist.
        var fine = await CreateStreamAsync(partitions: 1);
        await _backend.ProduceAsync([.. Enumerable.Range(1, 10).Select(i => Record(fine, $"k{i}", i))], CancellationToken.None);
        await using var reader = await _backend.OpenAsync(fine, 0, null, CancellationToken.None);
        Assert.Equal(10, (await ReadAsync(reader, 10)).Count);
    }

    [Fact]
    public async Task A_reader_of_a_partition_that_is_deleted_fails_after_handing_out_what_it_had()
    {
        var stream = await CreateStreamAsync(partitions: 1);
        await _backend.ProduceAsync([.. Enumerable.Range(1, 5).Select(i => Record(stream, "k", i))], CancellationToken.None);
        await using var reader = await _backend.OpenAsync(stream, 0, null, CancellationToken.None);
        Assert.Equal(5, (await ReadAsync(reader, 5)).Count);

        await _broker.DeleteStreamAsync(stream, 1);

        var cancelled = await Assert.ThrowsAsync<RabbitMqStreamException>(async () =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline)
                await reader.ReadAsync(100, TimeSpan.FromMilliseconds(200), CancellationToken.None);
        });
        Assert.Contains($"'{stream}.0'", cancelled.Message, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<RabbitMqStreamException>(() => _backend.OpenAsync(stream, 0, null, CancellationToken.None));
        Assert.Contains($"no queue '{stream}.0'", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reader_whose_connection_broke_fails_and_is_opened_again_from_its_checkpoint()
    {
        // A virtual host of its own, so closing its connections touches no other test.
        var virtualHost = "streams-" + Guid.NewGuid().ToString("N")[..8];
        await _broker.CtlAsync("add_vhost", virtualHost);
        _virtualHosts.Add(virtualHost);
        await _broker.CtlAsync("set_permissions", "-p", virtualHost, "guest", ".*", ".*", ".*");
        var address = _broker.AddressOf(virtualHost);
        await using var backend = StreamTestBroker.Backend(address);
        var stream = StreamTestBroker.NewStreamName();
        await backend.EnsureStreamsAsync([new StreamDefinition(stream, 1, Week)], CancellationToken.None);
        await backend.ProduceAsync([.. Enumerable.Range(1, 20).Select(i => Record(stream, "k", i))], CancellationToken.None);
        var reader = await backend.OpenAsync(stream, 0, null, CancellationToken.None);
        var before = await ReadAsync(reader, 20);
        var checkpoint = before[9].Offset + 1;

        await _broker.CtlAsync("close_all_connections", "-p", virtualHost, "test: broken connection");

        await Assert.ThrowsAsync<RabbitMqStreamException>(async () =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline)
                await reader.ReadAsync(100, TimeSpan.FromMilliseconds(200), CancellationToken.None);
        });
        await reader.DisposeAsync();

        // The connections recover by themselves; until then opening and producing fail and are tried again.
        var again = await EventuallyAsync(() => backend.OpenAsync(stream, 0, checkpoint, CancellationToken.None));
        await using (again)
        {
            await EventuallyAsync(async () =>
            {
                await backend.ProduceAsync([Record(stream, "k", 21)], CancellationToken.None);
                return true;
            });
            var after = await ReadAsync(again, 11);
            Assert.Equal(checkpoint, after[0].Offset);
            Assert.Equal(Enumerable.Range(11, 11), after.Select(Sequence));
        }

        await _broker.DeleteStreamAsync(stream, 1, address);
    }

    async Task<string> CreateStreamAsync(int partitions)
    {
        var stream = StreamTestBroker.NewStreamName();
        _created.Add((stream, partitions, null));
        await _backend.EnsureStreamsAsync([new StreamDefinition(stream, partitions, Week)], CancellationToken.None);
        return stream;
    }

    static StreamRecord Record(string stream, string key, int sequence, string? traceParent = null) =>
        new(Guid.NewGuid(), stream, key, MessageType, Encoding.UTF8.GetBytes($"{key}|{sequence}"),
            DateTimeOffset.UtcNow, traceParent);

    static int Sequence(StreamEnvelope envelope) => int.Parse(Encoding.UTF8.GetString(envelope.Body).Split('|')[1], System.Globalization.CultureInfo.InvariantCulture);

    static async Task<List<StreamEnvelope>> ReadAsync(IPartitionReader reader, int count)
    {
        var events = new List<StreamEnvelope>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (events.Count < count && DateTime.UtcNow < deadline)
            events.AddRange(await reader.ReadAsync(count - events.Count, TimeSpan.FromMilliseconds(500), CancellationToken.None));
        Assert.Equal(count, events.Count);
        return events;
    }

    // Every partition from its start until `expected` events came in all, then a short wait that must bring no more.
    async Task<List<StreamEnvelope>[]> ReadAllAsync(string stream, int partitions, int expected)
    {
        var readers = new List<IPartitionReader>();
        try
        {
            for (var partition = 0; partition < partitions; partition++)
                readers.Add(await _backend.OpenAsync(stream, partition, null, CancellationToken.None));
            var read = readers.Select(_ => new List<StreamEnvelope>()).ToArray();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (read.Sum(events => events.Count) < expected && DateTime.UtcNow < deadline)
            {
                for (var partition = 0; partition < partitions; partition++)
                    read[partition].AddRange(await readers[partition].ReadAsync(500, TimeSpan.FromMilliseconds(50), CancellationToken.None));
            }

            for (var partition = 0; partition < partitions; partition++)
                read[partition].AddRange(await readers[partition].ReadAsync(500, TimeSpan.FromMilliseconds(200), CancellationToken.None));
            return read;
        }
        finally
        {
            foreach (var reader in readers)
                await reader.DisposeAsync();
        }
    }

    static async Task<T> EventuallyAsync<T>(Func<Task<T>> attempt)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return await attempt();
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }
        }
    }
}

using System.Text;
using Azure.Messaging.EventHubs;
using Azure.Messaging.EventHubs.Consumer;
using GlobalCommerce.Platform.Streams;
using GlobalCommerce.Platform.Streams.EventHubs;

namespace GlobalCommerce.Consumers.Tests.Streams;

// EventHubsStreamBackend at its seam with the SDK: the producer and receiver it drives are the SDK's own client types
// (EventHubProducerClient, PartitionReceiver) replaced by test doubles, with batches and received events built by
// EventHubsModelFactory. Covered: grouping by stream and partition key, order per key, splitting full batches, an event
// too large for any batch, the EventData ↔ StreamEnvelope mapping (properties, sequence number as offset, traces),
// where a reader starts, and the hub checks of EnsureStreamsAsync. Not covered (needs a real namespace): AMQP itself,
// the service's real batch size limit in bytes, its partition hashing of a key, authentication, throttling and retries.
public sealed class EventHubsBackendTests
{
    static StreamRecord Record(string stream, string key, int sequence, string? trace = null) =>
        new(Guid.NewGuid(), stream, key, "Ledger.Event", Encoding.UTF8.GetBytes($$"""{"account":"{{key}}","sequence":{{sequence}}}"""),
            DateTimeOffset.FromUnixTimeMilliseconds(1_740_000_000_000 + sequence), trace);

    static int SequenceOf(EventData data) =>
        System.Text.Json.JsonDocument.Parse(data.EventBody.ToArray()).RootElement.GetProperty("sequence").GetInt32();

    [Fact]
    public async Task Records_are_sent_in_batches_per_partition_key_in_order_and_a_full_batch_is_split()
    {
        var clients = new FakeEventHubsClients { EventsPerBatch = 3 };
        await using var backend = new EventHubsStreamBackend(clients);
        var keys = new[] { "order-1", "order-2", "order-3" };
        var records = Enumerable.Range(0, 7).SelectMany(i => keys.Select(k => Record(StreamNames.OrderEvents, k, i)))
            .Append(Record(StreamNames.PaymentEvents, "order-1", 100))
            .ToList();

        await backend.ProduceAsync(records, CancellationToken.None);

        var sent = clients.Sent;
        Assert.Equal(records.Count, sent.Sum(b => b.Events.Count));
        Assert.All(sent, b => Assert.InRange(b.Events.Count, 1, 3));
        Assert.All(sent, b => Assert.All(b.Events, e => Assert.Equal(b.PartitionKey, e.Properties[EventHubsEnvelope.PartitionKeyProperty])));
        foreach (var key in keys)
        {
            var batches = sent.Where(b => b.Hub == StreamNames.OrderEvents && b.PartitionKey == key).ToList();
            // 7 events of a key at 3 a batch: 3 + 3 + 1, sent in order.
            Assert.Equal([3, 3, 1], batches.Select(b => b.Events.Count));
            Assert.Equal(Enumerable.Range(0, 7), batches.SelectMany(b => b.Events).Select(SequenceOf));
            Assert.Equal(records.Where(r => r.Stream == StreamNames.OrderEvents && r.PartitionKey == key).Select(r => r.EventId.ToString("D")),
                batches.SelectMany(b => b.Events).Select(e => e.MessageId));
        }

        var payment = Assert.Single(sent, b => b.Hub == StreamNames.PaymentEvents);
        Assert.Equal("order-1", payment.PartitionKey);
        Assert.Equal([100], payment.Events.Select(SequenceOf));
    }

    [Fact]
    public async Task An_event_too_large_for_any_batch_fails_the_call_with_nothing_sent()
    {
        var clients = new FakeEventHubsClients { LargestBody = 200 };
        await using var backend = new EventHubsStreamBackend(clients);
        var huge = Record(StreamNames.OrderEvents, "order-2", 1) with { Body = new byte[1000] };
        List<StreamRecord> records = [Record(StreamNames.OrderEvents, "order-1", 0), huge, Record(StreamNames.OrderEvents, "order-3", 2)];

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => backend.ProduceAsync(records, CancellationToken.None));

        Assert.Contains(huge.EventId.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("too large", error.Message, StringComparison.Ordinal);
        Assert.Empty(clients.Sent);
    }

    [Fact]
    public void An_event_carries_its_id_type_key_time_and_trace_and_maps_back_to_the_same_envelope()
    {
        const string trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        var record = Record(StreamNames.InventoryEvents, "sku-42", 5, trace);

        var sent = EventHubsEnvelope.ToEventData(record);
        Assert.Equal(record.EventId.ToString("D"), sent.MessageId);
        Assert.Equal("application/json", sent.ContentType);
        Assert.Equal(record.Body, sent.EventBody.ToArray());
        Assert.Equal("Ledger.Event", sent.Properties[EventHubsEnvelope.MessageTypeProperty]);
        Assert.Equal("sku-42", sent.Properties[EventHubsEnvelope.PartitionKeyProperty]);
        Assert.Equal(record.EventId.ToString("D"), sent.Properties[EventHubsEnvelope.EventIdProperty]);
        Assert.Equal(record.Timestamp.ToUnixTimeMilliseconds(), sent.Properties[EventHubsEnvelope.TimestampProperty]);
        Assert.Equal(trace, sent.Properties["Diagnostic-Id"]);
        Assert.Equal(trace, sent.Properties["traceparent"]);

        var received = ReceivedEvents.AsReceived(sent, sequenceNumber: 1234, partitionKey: "sku-42", enqueued: record.Timestamp.AddSeconds(3));
        var envelope = EventHubsEnvelope.ToEnvelope(received, StreamNames.InventoryEvents, 6);

        Assert.Equal(new StreamEnvelope(StreamNames.InventoryEvents, 6, 1234, record.EventId, "sku-42", "Ledger.Event", record.Timestamp, envelope.Body, trace),
            envelope);
        Assert.Equal(record.Body, envelope.Body);
    }

    [Fact]
    public void Events_from_other_producers_map_to_what_they_carry()
    {
        var enqueued = new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
        const string trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

        // Sent by an SDK-instrumented producer: its trace is in Diagnostic-Id only, the id in no MessageId.
        var id = Guid.NewGuid();
        var instrumented = EventHubsModelFactory.EventData(new BinaryData("{}"u8.ToArray()),
            new Dictionary<string, object> { ["Diagnostic-Id"] = trace, [EventHubsEnvelope.EventIdProperty] = id.ToString(), [EventHubsEnvelope.MessageTypeProperty] = "T" },
            new Dictionary<string, object>(), "key-1", 7, "700", enqueued);
        var envelope = EventHubsEnvelope.ToEnvelope(instrumented, "h", 0);
        Assert.Equal((id, "T", "key-1", trace, enqueued), (envelope.EventId, envelope.MessageType, envelope.PartitionKey, envelope.TraceParent, envelope.Timestamp));

        // Nothing of ours at all: no type (so no consumer group handles it), the service's time, no key.
        var foreign = EventHubsModelFactory.EventData(new BinaryData("x"u8.ToArray()), new Dictionary<string, object>(), new Dictionary<string, object>(),
            null, 8, "800", enqueued);
        envelope = EventHubsEnvelope.ToEnvelope(foreign, "h", 1);
        Assert.Equal((Guid.Empty, "", "", (string?)null, enqueued, 8L), (envelope.EventId, envelope.MessageType, envelope.PartitionKey,
            envelope.TraceParent, envelope.Timestamp, envelope.Offset));
    }

    [Fact]
    public async Task A_reader_starts_at_the_given_sequence_number_or_the_earliest_event_and_reports_sequence_numbers_as_offsets()
    {
        var log = Enumerable.Range(40, 5).Select(n => ReceivedEvents.Of(Record(StreamNames.OrderEvents, "order-9", n), n)).ToList();
        var clients = new FakeEventHubsClients { Partition = (hub, partition) => hub == StreamNames.OrderEvents && partition == "3" ? log : [] };
        await using var backend = new EventHubsStreamBackend(clients);

        await using (var reader = await backend.OpenAsync(StreamNames.OrderEvents, 3, 42, CancellationToken.None))
        {
            var batch = await reader.ReadAsync(2, TimeSpan.FromMilliseconds(250), CancellationToken.None);
            Assert.Equal([42L, 43L], batch.Select(e => e.Offset));
            Assert.All(batch, e => Assert.Equal((StreamNames.OrderEvents, 3, "order-9"), (e.Stream, e.Partition, e.PartitionKey)));
            Assert.Equal([44L], (await reader.ReadAsync(10, TimeSpan.FromMilliseconds(250), CancellationToken.None)).Select(e => e.Offset));
            Assert.Empty(await reader.ReadAsync(10, TimeSpan.FromMilliseconds(250), CancellationToken.None));
        }

        var receiver = clients.Receivers[0];
        Assert.Equal(("3", "$Default"), (receiver.Partition, receiver.Group));
        Assert.Equal(EventPosition.FromSequenceNumber(42, isInclusive: true), receiver.Position);
        Assert.Equal([(2, TimeSpan.FromMilliseconds(250)), (10, TimeSpan.FromMilliseconds(250)), (10, TimeSpan.FromMilliseconds(250))], receiver.Calls);
        Assert.True(receiver.Disposed);

        await using (var fromStart = await backend.OpenAsync(StreamNames.OrderEvents, 3, null, CancellationToken.None))
            Assert.Equal(Enumerable.Range(40, 5).Select(n => (long)n), (await fromStart.ReadAsync(100, TimeSpan.Zero, CancellationToken.None)).Select(e => e.Offset));
        Assert.Equal(EventPosition.Earliest, clients.Receivers[1].Position);
    }

    [Fact]
    public async Task Ensuring_streams_names_the_hub_that_is_missing_or_has_another_partition_count()
    {
        var clients = new FakeEventHubsClients();
        clients.Hubs[StreamNames.OrderEvents] = 8;
        clients.Hubs[StreamNames.PaymentEvents] = 4;
        await using var backend = new EventHubsStreamBackend(clients);

        await backend.EnsureStreamsAsync([new StreamDefinition(StreamNames.OrderEvents, 8, TimeSpan.FromDays(7))], CancellationToken.None);

        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => backend.EnsureStreamsAsync(
            [new StreamDefinition(StreamNames.OrderEvents, 8, TimeSpan.FromDays(7)), new StreamDefinition(StreamNames.InventoryEvents, 8, TimeSpan.FromDays(7))],
            CancellationToken.None));
        Assert.Contains($"'{StreamNames.InventoryEvents}' does not exist in the namespace fake.servicebus.windows.net", missing.Message, StringComparison.Ordinal);
        Assert.IsType<EventHubsException>(missing.InnerException);

        var fewer = await Assert.ThrowsAsync<InvalidOperationException>(() => backend.EnsureStreamsAsync(
            [new StreamDefinition(StreamNames.PaymentEvents, 8, TimeSpan.FromDays(7))], CancellationToken.None));
        Assert.Contains($"'{StreamNames.PaymentEvents}'", fewer.Message, StringComparison.Ordinal);
        Assert.Contains("has 4 partitions but Commerce:Streams:Partitions is 8", fewer.Message, StringComparison.Ordinal);

        var more = await Assert.ThrowsAsync<InvalidOperationException>(() => backend.EnsureStreamsAsync(
            [new StreamDefinition(StreamNames.OrderEvents, 4, TimeSpan.FromDays(7))], CancellationToken.None));
        Assert.Contains("has 8 partitions but Commerce:Streams:Partitions is 4", more.Message, StringComparison.Ordinal);
    }
}

using GlobalCommerce.Platform.Streams;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Tests.Streams;

// How a partition's batch reaches a group's batch consumers: by default in runs of consecutive events of one type (a
// key's events keep their order across types); with RunPerMessageType, one run per type, each in offset order.
public sealed class StreamDispatcherTests
{
    public sealed record Placed(string Key, int Sequence);

    public sealed record Paid(string Key, int Sequence);

    public sealed class Recorder
    {
        public List<string> Runs { get; } = [];
    }

    public sealed class RecordingConsumer(Recorder recorder) : IStreamBatchConsumer<Placed>, IStreamBatchConsumer<Paid>
    {
        public Task Consume(StreamBatch<Placed> batch) => Record(batch.Select(c => $"placed {c.Message.Sequence}"));

        public Task Consume(StreamBatch<Paid> batch) => Record(batch.Select(c => $"paid {c.Message.Sequence}"));

        Task Record(IEnumerable<string> events)
        {
            recorder.Runs.Add(string.Join(", ", events));
            return Task.CompletedTask;
        }
    }

    // Interleaved as an order stream's facts are: one order's payment between the next orders' placements.
    static readonly StreamEnvelope[] Batch =
    [
        Envelope(1, new Placed("a", 1)), Envelope(2, new Paid("a", 2)), Envelope(3, new Placed("b", 3)),
        Envelope(4, new Placed("c", 4)), Envelope(5, new Paid("b", 5)), Envelope(6, new Placed("d", 6)),
    ];

    [Fact]
    public async Task By_default_runs_of_one_type_follow_the_batch_order()
    {
        var runs = await DispatchAsync(runPerMessageType: false);
        Assert.Equal(["placed 1", "paid 2", "placed 3, placed 4", "paid 5", "placed 6"], runs);
    }

    [Fact]
    public async Task A_group_that_runs_per_type_gets_each_type_once_in_offset_order()
    {
        var runs = await DispatchAsync(runPerMessageType: true);
        Assert.Equal(["placed 1, placed 3, placed 4, placed 6", "paid 2, paid 5"], runs);
    }

    static async Task<List<string>> DispatchAsync(bool runPerMessageType)
    {
        var endpoint = new TopicEndpointConfigurator("orders", "counts", typeof(LedgerDbContext)) { RunPerMessageType = runPerMessageType }
            .Consumer<RecordingConsumer>();
        var dispatcher = new StreamDispatcher(endpoint, new StreamTopology());
        var recorder = new Recorder();
        await using var services = new ServiceCollection().AddSingleton(recorder).AddTransient<RecordingConsumer>().BuildServiceProvider();
        await dispatcher.DispatchAsync(services, Batch, CancellationToken.None);
        return recorder.Runs;
    }

    static StreamEnvelope Envelope<T>(long offset, T message) =>
        new("orders", 0, offset, Guid.NewGuid(), "key", StreamSerializer.TypeName(typeof(T)), DateTimeOffset.UnixEpoch,
            StreamSerializer.SerializeToUtf8(message), null);
}

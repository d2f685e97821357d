using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Xunit.Abstractions;

namespace GlobalCommerce.EndToEnd.Tests.Faults;

// The lifecycle facts and the analytics group across crashes of the process that hosts them: the embedded default's
// API process (saga, consumers, stream outbox relays, the analytics consumer group, the local stream file) under a load
// of orders, killed twice and restarted on the same data folder:
//   1. SIGKILL from outside, mid-load: transactions in flight roll back with their facts; the group's reads since its
//      last checkpoint are read again after the restart.
//   2. the relay kills the process itself (GC_STREAM_KILL_AT=after-produce) after a batch is on the stream and before
//      its outbox rows are deleted: the restart produces that batch again, same EventIds.
// Afterwards every order ends with the books exact, every stream outbox is empty, and the analytics group has counted
// each fact on the streams exactly once, as many as the domain databases committed. The same in real mode, where the
// group and the order, payment and inventory relays run in the worker and the streams are RabbitMQ stream queues.
[Trait("Category", "Faults")]
public sealed class AnalyticsCrashTests(ITestOutputHelper output)
{
    const int Shoppers = 12;
    const int MaxOrders = 2000;
    const int OrdersBeforeKill = 30;
    // The relay batches that reach the stream before the relay kills the process (all four relays count).
    // The relay's kill comes at its 5th hand-over after the restart, while the backlog of the first kill is still being
    // relayed. It was the 40th: since the relays linger and hand over up to 500 events at once, a restarted worker caught
    // up in fewer than 40 hand-overs and the kill never came (the test then fails as proving nothing).
    const int RelayBatchesBeforeKill = 5;
    static readonly OrderMix Mix = new(Declined: 0.15, Cancelled: 0.10, ScarceLine: 0.10);

    [Fact]
    public async Task The_analytics_group_counts_every_fact_exactly_once_across_kills_of_its_process()
    {
        var clock = Stopwatch.StartNew();
        await using var platform = await EmbeddedPlatform.StartAsync(Shoppers);
        output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0.0} s  embedded default ready on {platform.Address}, data in {platform.DataDirectory}");
        var invariants = await PlatformInvariants.CaptureAsync(platform.OpenDatabaseAsync);
        var load = new OrderLoad(platform.Support, seed: 23, platform.Shoppers);
        using var stop = new CancellationTokenSource();
        var submitting = load.SubmitAsync(MaxOrders, Mix, parallelism: 3, stop.Token);

        await UntilAcceptedAsync(load, OrdersBeforeKill);
        var inFlightAtKill = await platform.OrdersInFlightAsync();
        await platform.KillAsync();
        output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0.0} s  SIGKILL: {load.Accepted} orders answered 202 so far, {inFlightAtKill} in flight");
        await platform.RestartAsync(new Dictionary<string, string>
        {
            ["GC_STREAM_KILL_AT"] = "after-produce",
            ["GC_STREAM_KILL_AFTER"] = RelayBatchesBeforeKill.ToString(CultureInfo.InvariantCulture),
        });
        output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0.0} s  restarted with the relay's kill switch");

        if (!await platform.WaitForExitAsync(TimeSpan.FromSeconds(90)))
            Assert.Fail($"the relay did not kill the process within 90 s: the test proved nothing\n{await platform.DiagnoseAsync()}");
        Assert.Contains("stream fault injection: killing the process at AfterProduce", platform.Output, StringComparison.Ordinal);
        var inFlightAtRelayKill = await platform.OrdersInFlightAsync();
        output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0.0} s  the relay killed the process after producing a batch: {load.Accepted} orders answered 202, " +
            $"{inFlightAtRelayKill} in flight");
        await platform.RestartAsync();
        output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0.0} s  restarted without it");

        await UntilAcceptedAsync(load, load.Accepted + 10);
        await stop.CancelAsync();
        var placed = await submitting;
        var outcomes = await load.WaitForTerminalAsync(placed, TimeSpan.FromSeconds(60));
        output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0.0} s  load stopped: {placed.Count} orders accepted, {outcomes.Count(o => o.IsTerminal)} ended");
        var books = await invariants.CheckAsync(outcomes, TimeSpan.FromSeconds(10));
        output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0.0} s  books: {books.ToString().Split('\n')[0]}");

        var facts = await FactInvariants.CheckAsync(platform.OpenDatabaseAsync, EmbeddedPlatform.StreamOutboxes, () => StreamLogAsync(platform),
            TimeSpan.FromSeconds(60));
        output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0.0} s  facts checked:");
        output.WriteLine(facts.ToString());

        if (!books.Holds || !facts.Holds)
        {
            var failure = new StringBuilder();
            failure.AppendLine($"After a SIGKILL ({inFlightAtKill} orders in flight) and a relay kill after produce ({inFlightAtRelayKill} in flight):");
            failure.AppendLine(books.ToString());
            failure.AppendLine(facts.ToString());
            failure.Append(await platform.DiagnoseAsync());
            Assert.Fail(failure.ToString());
        }

        Assert.True(inFlightAtKill > 0 && inFlightAtRelayKill > 0, "a kill hit an idle platform: the test proved nothing");
        // The relay's kill left a produced batch in its outbox: the stream holds copies, and they were counted once.
        Assert.True(facts.Copies > 0, "no fact reached the stream twice: the relay's crash window was not exercised\n" + facts);
        Assert.True(books.Completed > 0 && books.Failed > 0, books.ToString());
    }

    [Fact]
    public async Task The_analytics_group_counts_every_fact_exactly_once_across_kills_of_the_worker_in_real_mode()
    {
        const int orders = 150;
        await using var platform = await FaultPlatform.StartAsync();
        var inFlightAtKills = new List<int>();
        var relayKilled = false;
        var run = await FaultScenario.RunAsync(platform, output, orders, seed: 29, fault: async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            inFlightAtKills.Add(await platform.OrdersInFlightAsync());
            await platform.KillWorkerAsync();
            await platform.StartWorkerAsync(new Dictionary<string, string?>
            {
                ["GC_STREAM_KILL_AT"] = "after-produce",
                ["GC_STREAM_KILL_AFTER"] = RelayBatchesBeforeKill.ToString(CultureInfo.InvariantCulture),
            });
            var dead = await platform.WaitForWorkerExitAsync(TimeSpan.FromSeconds(90));
            if (dead is null)
                Assert.Fail($"the worker's relay did not kill it within 90 s: the test proved nothing\n{await platform.DiagnoseAsync()}");
            relayKilled = dead.Output.Contains("stream fault injection: killing the process at AfterProduce", StringComparison.Ordinal);
            inFlightAtKills.Add(await platform.OrdersInFlightAsync());
            await platform.StartWorkerAsync();
        }, Mix);
        output.WriteLine($"orders in flight at the SIGKILL and at the relay's kill: {string.Join(", ", inFlightAtKills)}");
        await platform.AssertHoldsAsync(run.Report);

        var facts = await FactInvariants.CheckAsync(async domain => await platform.OpenDatabaseAsync(domain), FaultPlatform.StreamOutboxes,
            () => StreamLogAsync(platform), TimeSpan.FromSeconds(60));
        output.WriteLine(facts.ToString());
        if (!facts.Holds)
            Assert.Fail(facts + "\n" + await platform.DiagnoseAsync());
        Assert.True(relayKilled, "the worker died, but not at the relay's kill switch");
        Assert.True(inFlightAtKills.All(n => n > 0), "a kill hit an idle platform: the test proved nothing");
        Assert.True(facts.Copies > 0, "no fact reached the stream twice: the relay's crash window was not exercised\n" + facts);
    }

    async Task UntilAcceptedAsync(OrderLoad load, int accepted)
    {
        var earliest = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        var latest = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < latest && (DateTime.UtcNow < earliest || load.Accepted < accepted))
            await Task.Delay(100);
        output.WriteLine($"        {load.Accepted} orders answered 202");
    }

    // Real mode's log, the test virtual host's RabbitMQ stream queues "{stream}.{partition}", each read from its first
    // offset until nothing more arrives: per stream and short type name, distinct events (by MessageId) and copies.
    static async Task<IReadOnlyDictionary<(string Stream, string Type), (long Distinct, long Copies)>> StreamLogAsync(FaultPlatform platform)
    {
        const int partitions = 8;
        var factory = new ConnectionFactory { Uri = platform.Broker.AddressOf(platform.VirtualHost) };
        await using var connection = await factory.CreateConnectionAsync();
        var events = new ConcurrentBag<(string Stream, string Type, string EventId)>();
        string[] streams = ["order-events", "payment-events", "inventory-events", "analytics-events", "product-events"];
        await Task.WhenAll(streams.SelectMany(stream => Enumerable.Range(0, partitions).Select(async partition =>
        {
            await using var channel = await connection.CreateChannelAsync();
            await channel.BasicQosAsync(prefetchSize: 0, prefetchCount: 500, global: false);
            var last = DateTime.UtcNow;
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += async (_, delivery) =>
            {
                var type = delivery.BasicProperties.Type ?? "?";
                events.Add((stream, type[(type.LastIndexOf('.') + 1)..], delivery.BasicProperties.MessageId ?? "?"));
                last = DateTime.UtcNow;
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            };
            await channel.BasicConsumeAsync($"{stream}.{partition}", autoAck: false, consumerTag: "", noLocal: false, exclusive: false,
                arguments: new Dictionary<string, object?> { ["x-stream-offset"] = "first" }, consumer);
            while (DateTime.UtcNow - last < TimeSpan.FromSeconds(2))
                await Task.Delay(100);
        })));
        return events.GroupBy(e => (e.Stream, e.Type)).ToDictionary(g => g.Key, g => ((long)g.Select(e => e.EventId).Distinct().Count(), (long)g.Count()));
    }

    // The embedded backend's log (DataDirectory/streams.db): per stream and short type name, distinct events and copies.
    static async Task<IReadOnlyDictionary<(string Stream, string Type), (long Distinct, long Copies)>> StreamLogAsync(EmbeddedPlatform platform)
    {
        var rows = await platform.QueryAsync("streams",
            "SELECT stream, message_type, count(DISTINCT event_id), count(*) FROM stream_event GROUP BY stream, message_type",
            r => (Stream: r.GetString(0), Type: r.GetString(1)[(r.GetString(1).LastIndexOf('.') + 1)..], Distinct: r.GetInt64(2), Copies: r.GetInt64(3)));
        return rows.ToDictionary(r => (r.Stream, r.Type), r => (r.Distinct, r.Copies));
    }
}

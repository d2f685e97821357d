using System.Globalization;

namespace GlobalCommerce.Bench.OrderLoad.Measurement;

// RabbitMQ's own global message counters (rabbit_global_counters, in the core broker since 3.9: no plugin, exact,
// cumulative since the node started), read with `rabbitmqctl eval` through the helper bench/run.sh writes.
// Received = messages clients published (each Send or Publish), Delivered = deliveries to consumers over all queues.
public sealed record BrokerCounters(long Received, long Routed, long Unroutable, long Delivered, long Redelivered, long Acknowledged, int BeamPid)
{
    const string Expression = """
        M = rabbit_global_counters:overview(),
        G = fun(K) -> maps:get(K, M, #{}) end,
        V = fun(Map, Key) -> maps:get(Key, Map, 0) end,
        P = G([{protocol, amqp091}]),
        Q = G([{protocol, amqp091}, {queue_type, rabbit_quorum_queue}]),
        C = G([{protocol, amqp091}, {queue_type, rabbit_classic_queue}]),
        io:format("bench-counters ~b ~b ~b ~b ~b ~b ~s~n", [
            V(P, messages_received_total), V(P, messages_routed_total),
            V(P, messages_unroutable_dropped_total) + V(P, messages_unroutable_returned_total),
            V(Q, messages_delivered_total) + V(C, messages_delivered_total),
            V(Q, messages_redelivered_total) + V(C, messages_redelivered_total),
            V(Q, messages_acknowledged_total) + V(C, messages_acknowledged_total),
            os:getpid()]),
        ok.
        """;

    public static async Task<BrokerCounters> ReadAsync(string evalScript, CancellationToken cancellationToken)
    {
        var output = await BenchEnvironment.RunAsync(evalScript, [Expression], cancellationToken);
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("bench-counters ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"unexpected rabbitmqctl eval output: {output}");
        var values = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(value => long.Parse(value, CultureInfo.InvariantCulture)).ToArray();
        return new BrokerCounters(values[0], values[1], values[2], values[3], values[4], values[5], (int)values[6]);
    }

    public BrokerCounters Minus(BrokerCounters earlier) => new(
        Received - earlier.Received, Routed - earlier.Routed, Unroutable - earlier.Unroutable, Delivered - earlier.Delivered,
        Redelivered - earlier.Redelivered, Acknowledged - earlier.Acknowledged, BeamPid);
}

using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace GlobalCommerce.EndToEnd.Tests.Faults;

[Trait("Category", "Faults")]
public sealed class BrokerRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Orders_survive_a_rabbitmq_restart_under_load()
    {
        // stop_app alone takes 5 to 25 s on a loaded machine: with CI's 5 s step deadlines every order caught by the
        // outage would exhaust its retries and be compensated, which is correct but proves less. 15 s rides it out.
        await using var platform = await FaultPlatform.StartAsync(new Dictionary<string, string> { ["Commerce__Orders__StepTimeout"] = "00:00:15" });
        var inFlightAtStop = 0;
        IReadOnlyList<string> consumed = [];
        var run = await FaultScenario.RunAsync(platform, output, orders: 150, seed: 2, fault: async () =>
        {
            // Stop the broker once orders are really under way (on a loaded machine the first ones take a while to arrive).
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            await Task.Delay(TimeSpan.FromSeconds(2));
            while ((inFlightAtStop = await platform.OrdersInFlightAsync()) == 0 && DateTime.UtcNow < until)
                await Task.Delay(TimeSpan.FromMilliseconds(200));
            consumed = (await platform.Broker.ConsumerCountsAsync(platform.VirtualHost)).Where(q => q.Value > 0).Select(q => q.Key).ToList();
            // stop_app takes every connection and queue down with the node; quorum queues recover from disk on start_app.
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} stop_app");
            await platform.Broker.StopAppAsync();
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} stopped");
            await Task.Delay(TimeSpan.FromSeconds(3));
            await platform.Broker.StartAppAsync();
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} started again");
            // A figure, not an assertion: how long the hosts' queues go without a consumer after the broker is back
            // (MassTransit backs off up to 30 s between reconnects; the consumer watchdog cuts that short).
            var back = Stopwatch.StartNew();
            IReadOnlyList<string> missing = consumed;
            while (back.Elapsed < TimeSpan.FromSeconds(90))
            {
                var now = await platform.Broker.ConsumerCountsAsync(platform.VirtualHost);
                missing = consumed.Where(queue => now.GetValueOrDefault(queue) == 0).ToList();
                if (missing.Count == 0)
                    break;
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }

            output.WriteLine(missing.Count == 0
                ? $"{DateTime.UtcNow:HH:mm:ss.fff} all {consumed.Count} consumed queues have a consumer again, {back.Elapsed.TotalSeconds:0.0} s after start_app"
                : $"{DateTime.UtcNow:HH:mm:ss.fff} still without a consumer 90 s after start_app: {string.Join(", ", missing)}");
        });
        output.WriteLine($"consumer watchdog endpoint restarts: {Regex.Count(platform.WorkerOutput(), "Restarting the receive endpoint")}");

        output.WriteLine($"orders in flight when the broker stopped: {inFlightAtStop}");
        output.WriteLine(run.Report.TableRow("RabbitMQ restarted", "`rabbitmqctl stop_app`, 3 s down, `start_app`, mid-load"));
        await platform.AssertHoldsAsync(run.Report);
        Assert.True(inFlightAtStop > 0, "the broker stopped with nothing in flight: the test proved nothing");
        Assert.True(run.Report.Completed > 0, run.Report.ToString());
    }
}

using System.Collections.Concurrent;
using GlobalCommerce.Contracts.Inventory;
using MassTransit;
using Xunit.Abstractions;

namespace GlobalCommerce.EndToEnd.Tests.Faults;

[Trait("Category", "Faults")]
public sealed class PoisonMessageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_poison_command_is_dead_lettered_with_a_fault_while_orders_keep_completing()
    {
        // Each poison message holds one reserve-inventory slot through its ~25 s of retries. Step deadlines of 15 s (x3) leave
        // room for a loaded machine, so an order that still times out here means the queue really was blocked.
        await using var platform = await FaultPlatform.StartAsync(new Dictionary<string, string> { ["Commerce__Orders__StepTimeout"] = "00:00:15" });
        // A bus of the test's own on the platform's virtual host: it sends the poison and hears the faults published for it.
        var faults = new ConcurrentDictionary<Guid, DateTimeOffset>();
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(platform.Broker.AddressOf(platform.VirtualHost));
            cfg.ReceiveEndpoint(new TemporaryEndpointDefinition(), endpoint => endpoint.Handler<Fault<ReserveInventory>>(context =>
            {
                faults.TryAdd(context.Message.Message.OrderId, DateTimeOffset.UtcNow);
                return Task.CompletedTask;
            }));
        });
        await bus.StartAsync();
        try
        {
            // Lines = null passes the broker and the inbox, then throws in the consumer on every attempt.
            var poison = new[] { NewId.NextGuid(), NewId.NextGuid() };
            var poisonSentAt = DateTimeOffset.MaxValue;
            var run = await FaultScenario.RunAsync(platform, output, orders: 100, seed: 5, fault: async () =>
            {
                var reserve = await bus.GetSendEndpoint(new Uri("queue:reserve-inventory?bind=false"));
                poisonSentAt = DateTimeOffset.UtcNow;
                foreach (var orderId in poison)
                {
                    await reserve.Send(new ReserveInventory { OrderId = orderId, Lines = null! });
                    await Task.Delay(1000);
                }
            });

            var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while ((faults.Count < poison.Length || await ErrorQueueCountAsync() < poison.Length) && DateTime.UtcNow < until)
                await Task.Delay(250);
            output.WriteLine(run.Report.TableRow("Poison message", $"{poison.Length} × `ReserveInventory` with `Lines: null` sent to reserve-inventory mid-load"));

            Assert.Equal((uint)poison.Length, await ErrorQueueCountAsync());
            Assert.Equal(poison.Order(), faults.Keys.Order());
            await platform.AssertHoldsAsync(run.Report);
            // Not blocked: while the first poison message was being retried, the same queue went on reserving stock for
            // other orders (their move out of Pending is the saga hearing InventoryReserved).
            var firstFault = faults.Values.Min();
            var reservedMeanwhile = run.Orders.Count(o => ReservedAt(o) is { } at && at > poisonSentAt && at < firstFault);
            output.WriteLine($"poison sent at {poisonSentAt:HH:mm:ss.fff}, first fault at {firstFault:HH:mm:ss.fff}, " +
                $"{reservedMeanwhile} orders reserved in between");
            Assert.True(reservedMeanwhile > 0, "no order's stock was reserved while the poison message was being retried");
            Assert.DoesNotContain(run.Orders, o => o.FailureReason?.Contains("timed out", StringComparison.Ordinal) == true);
        }
        finally
        {
            await bus.StopAsync();
        }

        Task<uint> ErrorQueueCountAsync() => platform.Broker.MessageCountAsync(platform.VirtualHost, "reserve-inventory_error");
    }

    static DateTimeOffset? ReservedAt(OrderOutcome order) => order.Body.GetProperty("history").EnumerateArray()
        .Where(t => t.GetProperty("from").GetString() == "Pending" && t.GetProperty("to").GetString() == "AwaitingFraudCheck")
        .Select(t => (DateTimeOffset?)t.GetProperty("at").GetDateTimeOffset())
        .FirstOrDefault();
}

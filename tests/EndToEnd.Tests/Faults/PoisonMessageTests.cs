using System.Collections.Concurrent;
using GlobalCommerce.Contracts.Inventory;
using MassTransit;
using Xunit.Abstractions;

namespace GlobalCommerce.EndToEnd.Tests.Faults;

public sealed class PoisonMessageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_poison_command_is_dead_lettered_with_a_fault_while_orders_keep_completing()
    {
        await using var platform = await FaultPlatform.StartAsync();
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
            var run = await FaultScenario.RunAsync(platform, output, orders: 100, seed: 5, fault: async () =>
            {
                var reserve = await bus.GetSendEndpoint(new Uri("queue:reserve-inventory?bind=false"));
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
            Assert.True(run.Report.Holds, run.Report + "\n" + platform.Logs());
            // Not blocked: orders completed while the poison was still being retried, and none needed a deadline.
            var firstCompleted = run.Orders.Where(o => o.State == "Completed").Min(CompletedAt);
            output.WriteLine($"first order completed at {firstCompleted:HH:mm:ss.fff}, first fault at {faults.Values.Min():HH:mm:ss.fff}");
            Assert.True(firstCompleted < faults.Values.Min(), "no order completed while the poison message was being retried");
            Assert.DoesNotContain(run.Orders, o => o.FailureReason?.Contains("timed out", StringComparison.Ordinal) == true);
        }
        finally
        {
            await bus.StopAsync();
        }

        Task<uint> ErrorQueueCountAsync() => platform.Broker.MessageCountAsync(platform.VirtualHost, "reserve-inventory_error");
    }

    static DateTimeOffset CompletedAt(OrderOutcome order) => order.Body.GetProperty("history").EnumerateArray()
        .Where(t => t.GetProperty("to").GetString() == "Completed")
        .Select(t => t.GetProperty("at").GetDateTimeOffset())
        .Single();
}

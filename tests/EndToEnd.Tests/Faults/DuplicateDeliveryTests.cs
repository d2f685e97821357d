using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace GlobalCommerce.EndToEnd.Tests.Faults;

[Trait("Category", "Faults")]
public sealed partial class DuplicateDeliveryTests(ITestOutputHelper output)
{
    static readonly Dictionary<string, string> DuplicateSends = new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "FaultInjection",
        ["Commerce__Testing__DuplicateSends"] = "true",
    };

    [Fact]
    public async Task Commands_delivered_twice_reserve_charge_and_ship_each_order_once()
    {
        await using var platform = await FaultPlatform.StartAsync(workerSettings: DuplicateSends);
        var run = await FaultScenario.RunAsync(platform, output, orders: 150, seed: 4, fault: () => Task.CompletedTask);

        var copies = DuplicateLine().Matches(platform.WorkerOutput())
            .GroupBy(m => m.Groups["type"].Value)
            .ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine("commands delivered twice: " + string.Join(", ", copies.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        output.WriteLine(run.Report.TableRow("Every command delivered twice",
            $"worker switch `Commerce__Testing__DuplicateSends`: each command re-sent under a new MessageId ({copies.Values.Sum()} copies)"));
        await platform.AssertHoldsAsync(run.Report);
        // The fault really ran: every command consumed as an original was sent again. A command is consumed only if
        // its step happened, so each step's evidence bounds its copies from below: every accepted order's
        // SubmitOrder, every order the inventory service allocated for, every charge and shipment of a completed
        // order. (An order cancelled before its reservation ran never sends ReserveInventory at all.)
        var allocated = await platform.CountDistinctOrdersAsync("inventory", "allocations");
        Assert.True(copies.GetValueOrDefault("SubmitOrder") >= run.Orders.Count, $"SubmitOrder copied {copies.GetValueOrDefault("SubmitOrder")} times for {run.Orders.Count} orders");
        Assert.True(copies.GetValueOrDefault("ReserveInventory") >= allocated, $"ReserveInventory copied {copies.GetValueOrDefault("ReserveInventory")} times, {allocated} orders allocated");
        Assert.True(copies.GetValueOrDefault("ChargePayment") >= run.Report.Completed, $"ChargePayment copied {copies.GetValueOrDefault("ChargePayment")} times, {run.Report.Completed} orders completed");
        Assert.True(copies.GetValueOrDefault("CreateShipment") >= run.Report.Completed, $"CreateShipment copied {copies.GetValueOrDefault("CreateShipment")} times, {run.Report.Completed} orders completed");
        Assert.True(run.Report.Completed > 0, run.Report.ToString());
    }

    [Fact]
    public async Task The_duplicate_sends_switch_is_refused_outside_the_fault_injection_environment()
    {
        await using var worker = HostProcess.Start("Workers", new Dictionary<string, string> { ["Commerce__Testing__DuplicateSends"] = "true" });

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => worker.WaitUntilReadyAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("honoured only in the FaultInjection environment", refused.Message, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"Fault injection: (?<type>\w+) \S+ delivered again")]
    private static partial Regex DuplicateLine();
}

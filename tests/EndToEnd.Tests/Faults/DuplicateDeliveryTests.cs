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
        // The fault really ran. Every accepted order's SubmitOrder reaches the saga once as an original and is copied as it
        // is consumed: at least one copy per order. For the other commands the number of copies is not a function of the
        // orders (cancellations, declines and copies that do the work first change which originals run, and when), so
        // what must hold is that every kind the run needed was delivered twice at least once; the books above are the
        // guarantee under test.
        Assert.True(copies.GetValueOrDefault("SubmitOrder") >= run.Orders.Count, $"SubmitOrder copied {copies.GetValueOrDefault("SubmitOrder")} times for {run.Orders.Count} orders");
        Assert.All(["ReserveInventory", "AssessFraud", "ChargePayment", "CommitInventory", "CreateShipment"],
            command => Assert.True(copies.GetValueOrDefault(command) > 0, $"no {command} was delivered twice"));
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

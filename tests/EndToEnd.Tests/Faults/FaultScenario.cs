using System.Diagnostics;
using Xunit.Abstractions;

namespace GlobalCommerce.EndToEnd.Tests.Faults;

public sealed record FaultOutcome(IReadOnlyList<PlacedOrder> Placed, IReadOnlyList<OrderOutcome> Orders, InvariantReport Report);

// The shape every fault test shares: capture the books, place orders while the fault runs beside them, wait for every
// order to end, then check the books.
public static class FaultScenario
{
    public static async Task<FaultOutcome> RunAsync(FaultPlatform platform, ITestOutputHelper output, int orders, int seed,
        Func<Task> fault, OrderMix? mix = null)
    {
        var clock = Stopwatch.StartNew();
        var invariants = await PlatformInvariants.CaptureAsync(platform);
        var load = new OrderLoad(platform.Client, seed);
        var submitting = load.SubmitAsync(orders, mix ?? OrderMix.Default);
        await Task.WhenAll(submitting, fault());
        output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0.0} s  {orders} orders accepted and the fault is over (seed {seed})");

        var placed = await submitting;
        var outcomes = await load.WaitForTerminalAsync(placed, TimeSpan.FromSeconds(120));
        output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0.0} s  {outcomes.Count(o => o.IsTerminal)} of {orders} orders ended");
        foreach (var reason in outcomes.Where(o => o.FailureReason is not null).GroupBy(o => o.FailureReason).OrderByDescending(g => g.Count()))
            output.WriteLine($"        {reason.Count(),4} failed: {reason.Key}");

        var report = await invariants.CheckAsync(outcomes, TimeSpan.FromSeconds(30));
        output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0.0} s  books checked: {report}");
        return new FaultOutcome(placed, outcomes, report);
    }
}

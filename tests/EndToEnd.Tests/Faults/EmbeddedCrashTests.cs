using System.Diagnostics;
using System.Net;
using System.Text;
using Xunit.Abstractions;

namespace GlobalCommerce.EndToEnd.Tests.Faults;

// Nothing accepted is lost on the embedded default either (issue #11): the one-process default is SIGKILLed twice under
// load and restarted on the same data folder; every order it answered 202 must still end, with the books exact.
[Trait("Category", "Faults")]
public sealed class EmbeddedCrashTests(ITestOutputHelper output)
{
    const int Kills = 2;
    const int Shoppers = 20;
    // An upper bound only: the load runs until the last restart, well before this many orders at the embedded default's pace.
    const int MaxOrders = 2000;
    const int OrdersBetweenKills = 40;
    static readonly OrderMix Mix = new(Declined: 0.15, Cancelled: 0.05, ScarceLine: 0.10);

    [Fact]
    public async Task Accepted_orders_survive_the_embedded_default_being_killed_and_restarted_on_its_data_folder()
    {
        var clock = Stopwatch.StartNew();
        await using var platform = await EmbeddedPlatform.StartAsync(Shoppers);
        output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0.0} s  embedded default ready on {platform.Address}, data in {platform.DataDirectory}, {Shoppers} shoppers registered");

        var invariants = await PlatformInvariants.CaptureAsync(platform.OpenDatabaseAsync);
        var load = new OrderLoad(platform.Support, seed: 11, platform.Shoppers);
        using var stop = new CancellationTokenSource();
        var submitting = load.SubmitAsync(MaxOrders, Mix, parallelism: 3, stop.Token);
        var kills = new List<(int Accepted, int InFlight)>();
        for (var kill = 0; kill < Kills; kill++)
        {
            // A few seconds of load since the (re)start, and some orders accepted in them (a loaded machine is slow to get
            // going again): the saga and the consumers are deep in the work when the process dies.
            var since = load.Accepted;
            var earliest = DateTime.UtcNow + TimeSpan.FromSeconds(3);
            var latest = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (DateTime.UtcNow < latest && (DateTime.UtcNow < earliest || load.Accepted < since + OrdersBetweenKills))
                await Task.Delay(100);
            kills.Add((load.Accepted, await platform.OrdersInFlightAsync()));
            await platform.KillAsync();
            output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0.0} s  SIGKILL {kill + 1}: {kills[^1].Accepted} orders answered 202 so far, {kills[^1].InFlight} in flight");
            await platform.RestartAsync();
            output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0.0} s  restarted on the same data folder and port");
        }

        await stop.CancelAsync();
        var placed = await submitting;
        output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0.0} s  load stopped: {placed.Count} orders answered 202");

        // Every accepted order posted again as a client that never saw its answer would: the same order, and (below) it ends.
        var retried = new System.Collections.Concurrent.ConcurrentBag<(PlacedOrder Order, HttpStatusCode Status, Guid? OrderId)>();
        await Parallel.ForEachAsync(placed, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (order, _) =>
        {
            var (status, orderId) = await load.ResubmitAsync(order);
            retried.Add((order, status, orderId));
        });
        var answeredOtherwise = retried.Where(r => r.Status != HttpStatusCode.Accepted || r.OrderId != r.Order.OrderId).ToList();
        output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0.0} s  {placed.Count - answeredOtherwise.Count} of {placed.Count} retries with the same Idempotency-Key answered 202 with the same order");

        var outcomes = await load.WaitForTerminalAsync(placed, TimeSpan.FromSeconds(30));
        output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0.0} s  {outcomes.Count(o => o.IsTerminal)} of {placed.Count} orders ended");
        foreach (var reason in outcomes.Where(o => o.FailureReason is not null).GroupBy(o => o.FailureReason).OrderByDescending(g => g.Count()))
            output.WriteLine($"        {reason.Count(),4} failed: {reason.Key}");
        var report = await invariants.CheckAsync(outcomes, TimeSpan.FromSeconds(10));
        if (!report.Holds)
        {
            // The books were compared with order states read up to 10 s before: read them once more, so that the verdict,
            // its headline and the diagnosis all describe the same moment.
            outcomes = await load.WaitForTerminalAsync(placed, TimeSpan.FromSeconds(1));
            report = await invariants.CheckAsync(outcomes, TimeSpan.Zero);
        }

        output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0.0} s  books checked: {report.ToString().Split('\n')[0]}");
        output.WriteLine(report.TableRow("Embedded default killed",
            $"{Kills} × SIGKILL of the one embedded process (in-memory bus, SQLite) mid-load with {string.Join(" and ", kills.Select(k => k.InFlight))} " +
            "orders in flight, restarted on the same data folder and port; every accepted order re-posted with its Idempotency-Key"));

        if (!report.Holds || answeredOtherwise.Count > 0)
        {
            var failure = new StringBuilder();
            failure.AppendLine($"After {Kills} SIGKILLs of the embedded default (orders in flight at each: {string.Join(", ", kills.Select(k => k.InFlight))}) " +
                $"and {clock.Elapsed.TotalSeconds:0} s:");
            failure.Append(await platform.SummarizeAsync(outcomes));
            failure.AppendLine($"Idempotent retries after the restarts: {placed.Count - answeredOtherwise.Count} of {placed.Count} answered 202 with the same order; " +
                $"{outcomes.Count(o => !o.IsTerminal)} of the orders retried never ended.");
            foreach (var (order, status, orderId) in answeredOtherwise.Take(10))
                failure.AppendLine($"  retry of {order.OrderId} answered {(int)status} {orderId}");
            failure.AppendLine(report.ToString());
            failure.Append(await platform.DiagnoseAsync());
            Assert.Fail(failure.ToString());
        }

        Assert.True(kills.Max(k => k.InFlight) > 0, "every kill hit an idle platform: the test proved nothing");
        Assert.True(report.Completed > 0, report.ToString());
    }
}

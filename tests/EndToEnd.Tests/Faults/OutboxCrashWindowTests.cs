using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace GlobalCommerce.EndToEnd.Tests.Faults;

// The crash windows of the outbox's delivery design (docs/outbox.md), each with a real dead process: the worker is
// started with the fault-injection switch GC_OUTBOX_KILL_AT and SIGKILLs itself the (N+1)th time a consumed message
// reaches that point, mid-load; it is restarted without the switch and the books must come out exact.
//   after-commit: the handler's transaction committed, nothing sent: the stored messages are sent by the redelivery of
//                 the unacknowledged message (it finds its row consumed) or by the sweep, whichever comes first.
//   after-send:   everything sent, the "delivered" mark not written: that row, and every row whose batched mark died with
//                 the process, is sent again (redelivery or sweep); the receivers' inboxes drop the copies.
// Either way the books must hold and, once every order has ended, every inbox row must end marked delivered.
[Trait("Category", "Faults")]
public sealed partial class OutboxCrashWindowTests(ITestOutputHelper output)
{
    // Messages that pass the point before the kill. An order's messages pass it about ten times and the saga keeps the
    // accepted orders moving side by side, so the worker dies about a third into the work with nearly every order in flight.
    const int KillAfter = 200;

    const int Orders = 60;

    [Fact]
    public Task Orders_survive_the_worker_dying_after_a_commit_before_the_send() =>
        RunAsync("after-commit", "AfterCommit", seed: 7, "Worker dies after a commit, before the send",
            "a handler's transaction has committed and nothing is sent");

    [Fact]
    public Task Orders_survive_the_worker_dying_after_the_send_before_the_delivered_mark() =>
        RunAsync("after-send", "AfterSend", seed: 8, "Worker dies after the send, before the delivered mark",
            "a handler's messages are all sent and the delivered mark is not written");

    async Task RunAsync(string point, string pointName, int seed, string scenario, string window)
    {
        var test = Stopwatch.StartNew();
        // A short grace and sweep, so rows left unmarked by the crash are re-sent within seconds (defaults: 10 s, 2 s).
        await using var platform = await FaultPlatform.StartAsync(new Dictionary<string, string>
        {
            ["GC_OUTBOX_KILL_AT"] = point,
            ["GC_OUTBOX_KILL_AFTER"] = KillAfter.ToString(CultureInfo.InvariantCulture),
            ["Commerce__Outbox__RedeliveryGrace"] = "00:00:03",
            ["Commerce__Outbox__SweepInterval"] = "00:00:01",
        });
        output.WriteLine($"platform ready after {test.Elapsed.TotalSeconds:0.0} s");
        var killLine = $"outbox fault injection: killing the process at {pointName}";
        HostProcess? dead = null;
        var inFlightAtDeath = 0;
        IReadOnlyDictionary<string, int> unmarkedAtDeath = new Dictionary<string, int>();
        var run = await FaultScenario.RunAsync(platform, output, orders: Orders, seed, fault: async () =>
        {
            var clock = Stopwatch.StartNew();
            dead = await platform.WaitForWorkerExitAsync(TimeSpan.FromSeconds(60));
            if (dead is null)
                Assert.Fail($"the worker did not kill itself at {point} within 60 s: the test proved nothing\n{await platform.DiagnoseAsync()}");
            var diedAfter = clock.Elapsed;
            inFlightAtDeath = await platform.OrdersInFlightAsync();
            var counted = clock.Elapsed;
            unmarkedAtDeath = await platform.UndeliveredInboxRowsAsync();
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} worker exited by itself after {diedAfter.TotalSeconds:0.0} s with {dead.ExitCode}; "
                + $"{inFlightAtDeath} orders in flight; inbox rows committed and not marked delivered: {Describe(unmarkedAtDeath)} "
                + $"(counted in {(counted - diedAfter).TotalSeconds:0.0} s + {(clock.Elapsed - counted).TotalSeconds:0.0} s)");
            // The process that dies is checked now, so that a worker that died of something else fails the test before
            // its restart hides it.
            Assert.True(dead.ExitCode == 137, $"the worker exited with {dead.ExitCode}, not by SIGKILL (137)\n{dead.ErrorOutput}");
            Assert.Contains(killLine, dead.ErrorOutput, StringComparison.Ordinal);
            await platform.StartWorkerAsync(new Dictionary<string, string?> { ["GC_OUTBOX_KILL_AT"] = null, ["GC_OUTBOX_KILL_AFTER"] = null });
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} worker restarted without the switch");
        });

        // What the sweep re-sent after the restart (the dead worker's own sweeps, if any, are not counted).
        var resent = Swept(platform.WorkerOutput()) - Swept(dead!.Output);
        output.WriteLine($"orders in flight when the worker died: {inFlightAtDeath}; rows the sweep sent again after the restart: {resent}");
        output.WriteLine(run.Report.TableRow(scenario,
            $"worker switch `GC_OUTBOX_KILL_AT={point}` (`GC_OUTBOX_KILL_AFTER={KillAfter}`): the worker SIGKILLs itself mid-load when {window} "
            + $"({inFlightAtDeath} orders in flight, {unmarkedAtDeath.Values.Sum()} inbox rows committed and not marked); restarted without it "
            + $"(grace 3 s, sweep 1 s), the sweep re-sent {resent} rows"));
        await platform.AssertHoldsAsync(run.Report);
        Assert.True(inFlightAtDeath > 0, "the worker died with no order in flight: the test proved nothing");
        // The message that reached the point has its row committed and unmarked: the window really held work.
        Assert.True(unmarkedAtDeath.Values.Sum() > 0, "no inbox row was left committed and unmarked: the crash missed the window");
        Assert.True(run.Report.Completed > 0, run.Report.ToString());

        // Once every order has ended, nothing may stay behind in the window: every row the crash left is delivered and marked.
        var drain = Stopwatch.StartNew();
        var unmarked = await platform.UndeliveredInboxRowsAsync();
        output.WriteLine($"inbox rows not marked delivered when the books held: {Describe(unmarked)}");
        while (unmarked.Values.Sum() > 0 && drain.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(500);
            unmarked = await platform.UndeliveredInboxRowsAsync();
        }

        if (unmarked.Values.Sum() > 0)
            Assert.Fail($"inbox rows still not marked delivered 15 s after the books held: {Describe(unmarked)}\n{await platform.DiagnoseAsync()}");
        output.WriteLine($"every inbox row marked delivered {drain.Elapsed.TotalSeconds:0.0} s later; {test.Elapsed.TotalSeconds:0.0} s since the test started");
    }

    static string Describe(IReadOnlyDictionary<string, int> counts) =>
        string.Join(", ", counts.Where(c => c.Value > 0).Select(c => $"{c.Key} {c.Value}")) is { Length: > 0 } text ? text : "none";

    static int Swept(string log) => SweepLine().Matches(log).Sum(m => int.Parse(m.Groups["count"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"Outbox sweep of \S+ sent (?<count>\d+) undelivered rows again")]
    private static partial Regex SweepLine();
}

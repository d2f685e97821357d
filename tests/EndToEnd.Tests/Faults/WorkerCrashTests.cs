using Xunit.Abstractions;

namespace GlobalCommerce.EndToEnd.Tests.Faults;

[Trait("Category", "Faults")]
public sealed class WorkerCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Orders_survive_the_worker_being_killed_and_restarted_under_load()
    {
        await using var platform = await FaultPlatform.StartAsync();
        var inFlightAtKill = new List<int>();
        var run = await FaultScenario.RunAsync(platform, output, orders: 200, seed: 1, fault: async () =>
        {
            for (var kill = 0; kill < 3; kill++)
            {
                // Long enough after (re)start for the worker to be deep in the backlog when it dies.
                await Task.Delay(TimeSpan.FromSeconds(2));
                inFlightAtKill.Add(await platform.OrdersInFlightAsync());
                await platform.KillWorkerAsync();
                await platform.StartWorkerAsync();
            }
        });

        output.WriteLine($"orders in flight at each SIGKILL: {string.Join(", ", inFlightAtKill)}");
        output.WriteLine(run.Report.TableRow("Worker killed", "3 × SIGKILL of the worker process mid-load, restarted each time"));
        await platform.AssertHoldsAsync(run.Report);
        Assert.True(inFlightAtKill.Max() > 0, "every kill hit an idle worker: the test proved nothing");
        Assert.True(run.Report.Completed > 0, run.Report.ToString());
    }
}

using Xunit.Abstractions;

namespace GlobalCommerce.EndToEnd.Tests.Faults;

[Trait("Category", "Faults")]
public sealed class DatabaseConnectionLossTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Orders_survive_postgres_connections_being_terminated_under_load()
    {
        await using var platform = await FaultPlatform.StartAsync();
        var terminated = 0;
        var rounds = 0;
        var run = await FaultScenario.RunAsync(platform, output, orders: 150, seed: 3, fault: async () =>
        {
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (DateTime.UtcNow < until)
            {
                await Task.Delay(500);
                terminated += await platform.TerminateDatabaseConnectionsAsync();
                rounds++;
            }
        });

        output.WriteLine($"{terminated} connections terminated in {rounds} rounds");
        output.WriteLine(run.Report.TableRow("PostgreSQL connections dropped",
            $"`pg_terminate_backend` on every connection of the platform's databases every 0.5 s for 10 s ({terminated} connections cut)"));
        await platform.AssertHoldsAsync(run.Report);
        Assert.True(terminated > rounds, $"only {terminated} connections cut in {rounds} rounds: the hosts were idle");
        Assert.True(run.Report.Completed > 0, run.Report.ToString());
    }
}

using Npgsql;
using Xunit.Abstractions;

namespace GlobalCommerce.EndToEnd.Tests.Faults;

// Two worker processes in real mode share a consumer group's partitions through leases in the group's own database
// (the inventory group on inventory-events, leases in inventory_db): each holds half; a SIGKILLed worker's half is taken
// over by the survivor once its leases run out; a restarted worker gets its half back.
[Trait("Category", "Faults")]
public sealed class StreamLeaseTakeoverTests(ITestOutputHelper output)
{
    const string Group = "inventory";
    const string Stream = "inventory-events";

    [Fact]
    public async Task Two_workers_split_a_groups_partitions_and_the_survivor_takes_over_a_killed_one()
    {
        await using var platform = await FaultPlatform.StartAsync(
            new Dictionary<string, string> { ["Commerce__Streams__LeaseDuration"] = "00:00:06" }, workers: 2);

        var split = await WaitForAsync(platform, leases => leases.Count == 8 && leases.Values.Distinct().Count() == 2
            && leases.Values.GroupBy(o => o).All(g => g.Count() == 4));
        Assert.True(split.Ok, $"the two workers never held 4 partitions each: {Describe(split.Leases)}\n{await platform.DiagnoseAsync()}");
        var owners = split.Leases.Values.Distinct().ToList();
        output.WriteLine($"split: {Describe(split.Leases)}");

        await platform.KillWorkerAsync(0);
        var takeover = await WaitForAsync(platform, leases => leases.Count == 8 && leases.Values.Distinct().Count() == 1);
        Assert.True(takeover.Ok, $"no single owner of all 8 partitions after the kill: {Describe(takeover.Leases)}\n{await platform.DiagnoseAsync()}");
        var survivor = takeover.Leases.Values.First();
        Assert.Contains(survivor, owners);
        output.WriteLine($"after SIGKILL of worker 0: {Describe(takeover.Leases)}");

        await platform.StartWorkerAsync(0);
        var rebalanced = await WaitForAsync(platform, leases => leases.Count == 8 && leases.Values.Distinct().Count() == 2
            && leases.Values.GroupBy(o => o).All(g => g.Count() == 4));
        Assert.True(rebalanced.Ok, $"the restarted worker never got its half back: {Describe(rebalanced.Leases)}\n{await platform.DiagnoseAsync()}");
        Assert.Contains(survivor, rebalanced.Leases.Values);
        Assert.DoesNotContain(rebalanced.Leases.Values, owner => owners.Contains(owner) && owner != survivor);
        output.WriteLine($"after the restart: {Describe(rebalanced.Leases)}");
    }

    // The live leases (not yet expired) of the group: partition → owner.
    static async Task<Dictionary<int, string>> LeasesAsync(FaultPlatform platform)
    {
        await using var connection = await platform.OpenDatabaseAsync("inventory");
        await using var command = new NpgsqlCommand(
            "SELECT \"Partition\", \"Owner\" FROM stream_lease WHERE \"ConsumerGroup\" = @group AND \"Stream\" = @stream AND \"ExpiresAt\" > @now",
            connection);
        command.Parameters.AddWithValue("group", Group);
        command.Parameters.AddWithValue("stream", Stream);
        command.Parameters.AddWithValue("now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var leases = new Dictionary<int, string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            leases[reader.GetInt32(0)] = reader.GetString(1);
        return leases;
    }

    // Lease rounds run every LeaseDuration / 3 (2 s here); a takeover needs the dead owner's 6 s to pass first.
    static async Task<(bool Ok, Dictionary<int, string> Leases)> WaitForAsync(FaultPlatform platform, Func<Dictionary<int, string>, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var leases = new Dictionary<int, string>();
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                leases = await LeasesAsync(platform);
                if (condition(leases))
                    return (true, leases);
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                // The worker has not created inventory_db's tables yet.
            }

            await Task.Delay(250);
        }

        return (false, leases);
    }

    static string Describe(Dictionary<int, string> leases) =>
        string.Join(", ", leases.OrderBy(l => l.Key).Select(l => $"{l.Key}→{l.Value}"));
}

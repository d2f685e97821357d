using Npgsql;
using Xunit.Abstractions;

namespace GlobalCommerce.EndToEnd.Tests.Faults;

[Trait("Category", "Faults")]
public sealed class GatewayTimeoutTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_charge_the_gateway_never_answers_is_retried_then_checked_with_the_gateway_voided_and_never_shipped()
    {
        await using var platform = await FaultPlatform.StartAsync();
        var run = await FaultScenario.RunAsync(platform, output, orders: 100, seed: 6, fault: () => Task.CompletedTask,
            mix: new OrderMix(Declined: 0.05, GatewayTimeout: 0.15, Cancelled: 0));

        var silent = run.Placed.Where(o => o.PaymentToken == "tok_timeout").Select(o => o.OrderId).ToHashSet();
        output.WriteLine(run.Report.TableRow("Payment gateway never answers",
            $"{silent.Count} orders paid with `tok_timeout`: no answer within `Payments:GatewayTimeout`, `ChargePayment` re-sent on each deadline, then `CheckPayment` asks the gateway"));
        await platform.AssertHoldsAsync(run.Report);

        var payments = await PaymentStatusesAsync(platform, silent);
        var timedOut = run.Orders.Where(o => silent.Contains(o.OrderId) && !(o.FailureReason ?? "").StartsWith("Stock unavailable", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(timedOut);
        Assert.All(timedOut, order =>
        {
            Assert.Equal("Failed", order.State);
            Assert.Equal("Payment timed out: the gateway holds no charge for the order", order.FailureReason);
            Assert.Null(order.TrackingNumber);
            // The deadline re-sent the charge twice (the consumer asked the gateway again under the same key), then the saga
            // asked the gateway for the outcome, and only its "no charge" answer failed the order.
            var history = order.Body.GetProperty("history").EnumerateArray().ToList();
            var resent = history.Count(t => t.GetProperty("detail").GetString()?.StartsWith("Deadline passed; sent ChargePayment again", StringComparison.Ordinal) == true);
            Assert.Equal(2, resent);
            var states = history.Select(t => $"{t.GetProperty("from").GetString()}>{t.GetProperty("to").GetString()}").ToList();
            Assert.True(states.IndexOf("AwaitingPayment>VerifyingPayment") is >= 0 and var verifying && states.IndexOf("VerifyingPayment>Failed") > verifying,
                string.Join(", ", states));
            Assert.Equal("Voided", payments.GetValueOrDefault(order.OrderId));
        });
    }

    static async Task<Dictionary<Guid, string>> PaymentStatusesAsync(FaultPlatform platform, IReadOnlySet<Guid> orderIds)
    {
        await using var connection = await platform.OpenDatabaseAsync("payments");
        await using var command = new NpgsqlCommand("SELECT \"OrderId\", \"Status\" FROM payments WHERE \"OrderId\" = ANY(@ids)", connection);
        command.Parameters.AddWithValue("ids", orderIds.ToArray());
        await using var reader = await command.ExecuteReaderAsync();
        var statuses = new Dictionary<Guid, string>();
        while (await reader.ReadAsync())
            statuses[reader.GetGuid(0)] = reader.GetString(1);
        return statuses;
    }
}

using GlobalCommerce.Consumers.Fraud;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Contracts.Fraud;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Tests.Fraud;

public class AssessFraudConsumerTests
{
    static Task<ConsumerTestHost> StartAsync(DatabaseProvider provider) =>
        ConsumerTestHost.StartAsync(provider, (bus, configuration, options) => bus.AddFraud(configuration, options),
            new Dictionary<string, string?> { ["Commerce:Fraud:HighRiskCountries:0"] = "XX" });

    static AssessFraud Assess(Guid orderId, Guid customerId, string country = "DE") => new()
    {
        OrderId = orderId,
        CustomerId = customerId,
        Total = 249.00m,
        Currency = "EUR",
        ItemCount = 1,
        ShippingCountry = country,
        PaymentToken = "tok_visa",
    };

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task A_redelivered_assessment_answers_the_first_verdict(DatabaseProvider provider)
    {
        await using var host = await StartAsync(provider);
        var orderId = Guid.NewGuid();
        var customerId = Guid.NewGuid();
        await host.SendAsync(QueueNames.AssessFraud, Assess(orderId, customerId));
        var first = (await host.WaitForPublishedAsync<FraudAssessed>(m => m.OrderId == orderId))[0];

        // Enough later orders that judging the redelivery afresh would trip the velocity rule.
        await host.SaveAsync<FraudDbContext>(Enumerable.Range(0, 6).Select(_ => Recent(customerId, TimeSpan.FromMinutes(1))).ToArray());
        await host.SendAsync(QueueNames.AssessFraud, Assess(orderId, customerId));
        var both = await host.WaitForPublishedAsync<FraudAssessed>(m => m.OrderId == orderId, 2);

        Assert.Equal(0.0, first.Score);
        Assert.All(both, m => Assert.Equal(first.Score, m.Score));
        Assert.Equal(1, await host.QueryAsync<FraudDbContext, int>(db => db.Assessments.CountAsync(a => a.OrderId == orderId)));
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Velocity_counts_only_the_customers_assessments_of_the_last_hour(DatabaseProvider provider)
    {
        await using var host = await StartAsync(provider);
        var customerId = Guid.NewGuid();
        var steady = Guid.NewGuid();
        await host.SaveAsync<FraudDbContext>(
            [.. Enumerable.Range(0, 5).Select(_ => Recent(customerId, TimeSpan.FromMinutes(10))),
             .. Enumerable.Range(0, 5).Select(_ => Recent(customerId, TimeSpan.FromHours(2))),
             .. Enumerable.Range(0, 9).Select(_ => Recent(Guid.NewGuid(), TimeSpan.FromMinutes(1)))]);

        await host.SendAsync(QueueNames.AssessFraud, Assess(steady, customerId));
        Assert.Equal(0.0, (await host.WaitForPublishedAsync<FraudAssessed>(m => m.OrderId == steady))[0].Score);

        var burst = Guid.NewGuid();
        await host.SendAsync(QueueNames.AssessFraud, Assess(burst, customerId));
        var verdict = (await host.WaitForPublishedAsync<FraudAssessed>(m => m.OrderId == burst))[0];
        Assert.Equal(0.30, verdict.Score, 6);
        Assert.Contains(verdict.Reasons, r => r.Contains("last hour", StringComparison.Ordinal));
    }

    [Fact]
    public async Task High_risk_countries_come_from_configuration()
    {
        await using var host = await StartAsync(DatabaseProvider.Sqlite);
        var orderId = Guid.NewGuid();

        await host.SendAsync(QueueNames.AssessFraud, Assess(orderId, Guid.NewGuid(), country: "XX"));

        var verdict = (await host.WaitForPublishedAsync<FraudAssessed>(m => m.OrderId == orderId))[0];
        Assert.Equal(0.15, verdict.Score, 6);
        var stored = await host.QueryAsync<FraudDbContext, FraudAssessment>(db => db.Assessments.SingleAsync(a => a.OrderId == orderId));
        Assert.Equal(verdict.Reasons, stored.Reasons.Split('\n'));
    }

    static FraudAssessment Recent(Guid customerId, TimeSpan ago) => new()
    {
        OrderId = Guid.NewGuid(),
        CustomerId = customerId,
        Score = 0,
        Reasons = "",
        AssessedAt = DateTimeOffset.UtcNow - ago,
    };
}

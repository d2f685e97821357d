using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Fraud;

namespace GlobalCommerce.Consumers.Tests.Fraud;

public class FraudRulesTests
{
    const double RejectionThreshold = 0.2;
    static readonly string[] NoHighRiskCountries = [];

    static FraudSignals Order(decimal total = 129.90m, int items = 2, string country = "DE", string token = "tok_visa", int recent = 0) =>
        new(total, items, country, token, recent);

    [Fact]
    public void Everyday_demo_catalog_baskets_score_zero()
    {
        var basket = DemoCatalog.Products.Where(p => p.Price < 200m).Take(4).ToList();
        var verdict = FraudRules.Score(Order(total: basket.Sum(p => p.Price), items: basket.Count), NoHighRiskCountries);

        Assert.Equal(0.0, verdict.Score);
        Assert.Empty(verdict.Reasons);
    }

    [Fact]
    public void The_most_expensive_demo_product_alone_passes_the_check()
    {
        var verdict = FraudRules.Score(Order(total: DemoCatalog.Products.Max(p => p.Price), items: 1), NoHighRiskCountries);

        Assert.InRange(verdict.Score, 0.0, 0.1);
    }

    [Theory]
    [InlineData(1_000.00, 0.0)]
    [InlineData(1_000.01, 0.05)]
    [InlineData(5_000.00, 0.05)]
    [InlineData(5_000.01, 0.15)]
    public void Large_totals_add_risk_in_steps(decimal total, double expected)
    {
        Assert.Equal(expected, FraudRules.Score(Order(total: total), NoHighRiskCountries).Score, 6);
    }

    [Fact]
    public void More_than_twenty_items_add_risk()
    {
        Assert.Equal(0.0, FraudRules.Score(Order(items: 20), NoHighRiskCountries).Score);
        var verdict = FraudRules.Score(Order(items: 21), NoHighRiskCountries);
        Assert.Equal(0.10, verdict.Score, 6);
        Assert.Contains("More than 20 items", verdict.Reasons);
    }

    [Fact]
    public void A_high_risk_shipping_country_matches_whatever_its_case()
    {
        var verdict = FraudRules.Score(Order(country: "xx"), ["XX"]);

        Assert.Equal(0.15, verdict.Score, 6);
        Assert.Contains(verdict.Reasons, r => r.Contains("XX", StringComparison.Ordinal));
        Assert.Equal(0.0, FraudRules.Score(Order(country: "DE"), ["XX"]).Score);
    }

    [Fact]
    public void More_than_five_orders_in_an_hour_reject_on_their_own()
    {
        Assert.Equal(0.0, FraudRules.Score(Order(recent: 5), NoHighRiskCountries).Score);
        Assert.True(FraudRules.Score(Order(recent: 6), NoHighRiskCountries).Score >= RejectionThreshold);
    }

    [Fact]
    public void One_warning_sign_passes_but_two_together_reject()
    {
        Assert.True(FraudRules.Score(Order(total: 6_000m), NoHighRiskCountries).Score < RejectionThreshold);
        Assert.True(FraudRules.Score(Order(items: 25), NoHighRiskCountries).Score < RejectionThreshold);
        Assert.True(FraudRules.Score(Order(total: 6_000m, items: 25), NoHighRiskCountries).Score >= RejectionThreshold);
        Assert.True(FraudRules.Score(Order(total: 1_500m, country: "XX"), ["XX"]).Score >= RejectionThreshold);
    }

    [Fact]
    public void Stripes_highest_risk_test_token_scores_at_least_0_95()
    {
        var verdict = FraudRules.Score(Order(token: "tok_riskLevelHighest"), NoHighRiskCountries);

        Assert.Equal(0.95, verdict.Score, 6);
        Assert.NotEmpty(verdict.Reasons);
    }

    [Fact]
    public void Every_combination_of_signals_scores_within_zero_and_one()
    {
        var scores =
            from total in new[] { 0m, 2_000m, 1_000_000m }
            from items in new[] { 1, 500 }
            from country in new[] { "DE", "XX" }
            from token in new[] { "tok_visa", "tok_riskLevelHighest" }
            from recent in new[] { 0, 100 }
            select FraudRules.Score(Order(total, items, country, token, recent), ["XX"]).Score;

        Assert.All(scores, score => Assert.InRange(score, 0.0, 1.0));
    }
}

namespace GlobalCommerce.Consumers.Fraud;

public sealed record FraudSignals(decimal Total, int ItemCount, string ShippingCountry, string PaymentToken, int RecentAssessmentsForCustomer);

public sealed record FraudScore(double Score, IReadOnlyList<string> Reasons);

// Rule-based fraud score in [0, 1]; the order saga rejects at 0.2 and above. Each rule that fires adds its weight
// and a reason the support UI shows:
//   - total above 1,000: +0.05, above 5,000: a further +0.10 (order currency; the catalog prices in EUR);
//   - more than 20 items: +0.10 (reseller or card-testing pattern);
//   - shipping country on the configured high-risk list (Commerce:Fraud:HighRiskCountries): +0.15;
//   - velocity, more than 5 earlier assessments for the customer in the last hour: +0.30 (rejects on its own);
//   - Stripe's test token tok_riskLevelHighest: the score is at least 0.95.
// One large or bulky order passes, two warning signs together reject, and an everyday basket scores 0.
public static class FraudRules
{
    public const decimal LargeOrderTotal = 1_000m;
    public const decimal VeryLargeOrderTotal = 5_000m;
    public const int BulkItemCount = 20;
    public const int VelocityLimitPerHour = 5;
    public const string HighestRiskTestToken = "tok_riskLevelHighest";

    public static FraudScore Score(FraudSignals signals, IReadOnlyCollection<string> highRiskCountries, int velocityLimitPerHour = VelocityLimitPerHour)
    {
        var score = 0.0;
        var reasons = new List<string>();

        if (signals.Total > LargeOrderTotal)
            Add(0.05, $"Order total above {LargeOrderTotal:N0}");
        if (signals.Total > VeryLargeOrderTotal)
            Add(0.10, $"Order total above {VeryLargeOrderTotal:N0}");
        if (signals.ItemCount > BulkItemCount)
            Add(0.10, $"More than {BulkItemCount} items");
        if (highRiskCountries.Contains(signals.ShippingCountry, StringComparer.OrdinalIgnoreCase))
            Add(0.15, $"Shipping country {signals.ShippingCountry.ToUpperInvariant()} is on the high-risk list");
        if (signals.RecentAssessmentsForCustomer > velocityLimitPerHour)
            Add(0.30, $"More than {velocityLimitPerHour} orders from this customer in the last hour");
        if (signals.PaymentToken == HighestRiskTestToken)
        {
            score = Math.Max(score, 0.95);
            reasons.Add("Card issuer reports the highest risk level");
        }

        return new FraudScore(Math.Clamp(score, 0.0, 1.0), reasons);

        void Add(double weight, string reason)
        {
            score += weight;
            reasons.Add(reason);
        }
    }
}

namespace GlobalCommerce.Consumers.Fraud;

public sealed class FraudOptions
{
    public const string Section = "Commerce:Fraud";

    // ISO 3166 alpha-2 codes; empty by default so no country is penalised until risk staff decide.
    public List<string> HighRiskCountries { get; set; } = [];

    // Orders are now owned by a logged-in customer: load tests and benchmarks, which drive many orders through a few
    // accounts, raise this; production keeps the default.
    public int VelocityLimitPerHour { get; set; } = FraudRules.VelocityLimitPerHour;
}

namespace GlobalCommerce.Consumers.Fraud;

public class FraudAssessment
{
    public Guid OrderId { get; set; }

    public Guid CustomerId { get; set; }

    public double Score { get; set; }

    // One reason per line, in the order the rules fired.
    public required string Reasons { get; set; }

    public DateTimeOffset AssessedAt { get; set; }
}

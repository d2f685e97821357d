namespace GlobalCommerce.Consumers.Payments;

public sealed class PaymentsOptions
{
    public const string Section = "Commerce:Payments";

    // Past this the charge counts as Unknown; the saga's deadline re-sends it and the idempotency key makes that safe.
    public TimeSpan GatewayTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

namespace GlobalCommerce.Api.Identity;

public sealed class Consent
{
    public Guid UserId { get; set; }

    public bool MarketingEmails { get; set; }

    public bool Personalisation { get; set; }

    public bool Analytics { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

using GlobalCommerce.Platform;

namespace GlobalCommerce.Api.Identity;

public sealed class AuthOptions
{
    public const string Section = "Commerce:Identity";

    public string Issuer { get; set; } = "urn:globalcommerce:identity";

    public string Audience { get; set; } = "globalcommerce-api";

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(7);

    // A PEM file holding the ECDSA P-256 private key. Required in the distributed mode; the embedded mode keeps a
    // generated key under the data directory.
    public string? SigningKeyPath { get; set; }

    // Folder of the Data Protection key ring that encrypts authenticator secrets and recovery codes at rest (and the
    // console's cookie). Default: <Commerce:DataDirectory>/data-protection-keys. API replicas must share one folder.
    public string? DataProtectionKeysPath { get; set; }

    public SessionStoreKind SessionStore { get; set; } = SessionStoreKind.Memory;

    public string RedisConnection { get; set; } = "127.0.0.1:6379";

    public string RedisKeyPrefix { get; set; } = "gc:";

    // Null: seed in the embedded mode only (Commerce:Mode).
    public bool? SeedDemoAccounts { get; set; }

    public int MaxFailedAccessAttempts { get; set; } = 5;

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    // PBKDF2-HMAC-SHA512 iterations of Identity's password hasher (its own default); see the README for the choice.
    public int PasswordHashIterations { get; set; } = 100_000;

    public RateLimitOptions RateLimits { get; set; } = new();

    public bool ShouldSeedDemoAccounts(CommerceOptions commerce) =>
        SeedDemoAccounts ?? commerce.IsEmbedded;

    public static AuthOptions From(IConfiguration configuration)
    {
        var options = new AuthOptions();
        configuration.GetSection(Section).Bind(options);
        return options;
    }
}

// Fixed windows. Password checks (login, console sign-in, erasure, MFA enrolment) and register only: other
// authenticated traffic (orders) is never counted here.
public sealed class RateLimitOptions
{
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    public int LoginPerIp { get; set; } = 30;

    public int LoginPerAccount { get; set; } = 10;

    public int RegisterPerIp { get; set; } = 10;
}

public enum SessionStoreKind
{
    Memory,
    Redis,
}

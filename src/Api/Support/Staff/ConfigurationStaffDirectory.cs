using System.Security.Claims;
using GlobalCommerce.Platform;
using Microsoft.AspNetCore.Identity;

namespace GlobalCommerce.Api.Support.Staff;

// An account of the configuration-backed directory: Commerce:Support:Staff:N:{Email, PasswordHash, Roles}, the hash in
// ASP.NET Core Identity's PasswordHasher format, so the accounts move to Identity's store unchanged.
public sealed class StaffAccount
{
    public string Email { get; set; } = "";

    public string PasswordHash { get; set; } = "";

    public List<string> Roles { get; set; } = [];
}

// Accounts from configuration, plus the demo accounts on the embedded default. To be replaced by ASP.NET Core
// Identity's user store once Identity lands; nothing outside this folder knows how accounts are kept.
public sealed partial class ConfigurationStaffDirectory : IStaffDirectory
{
    public const string DemoPassword = "Demo-Passw0rd!";

    static readonly (string Email, string Role)[] DemoAccounts =
    [
        ("support@demo.local", StaffRoles.Support),
        ("admin@demo.local", StaffRoles.Admin),
        // Not staff: the console must refuse it.
        ("shopper@demo.local", "shopper"),
    ];

    readonly PasswordHasher<StaffAccount> _hasher = new();
    readonly Lazy<IReadOnlyDictionary<string, StaffAccount>> _accounts;
    readonly Lazy<string> _decoyHash;
    readonly ILogger<ConfigurationStaffDirectory> _logger;

    public ConfigurationStaffDirectory(SupportOptions options, CommerceOptions commerce, ILogger<ConfigurationStaffDirectory> logger)
    {
        _logger = logger;
        // Hashing is deliberately slow: done once, on the first login, not at start-up.
        _accounts = new Lazy<IReadOnlyDictionary<string, StaffAccount>>(() => Load(options, commerce));
        _decoyHash = new Lazy<string>(() => _hasher.HashPassword(new StaffAccount(), Guid.NewGuid().ToString()));
    }

    public Task<ClaimsPrincipal?> ValidateAsync(string email, string password, CancellationToken cancellationToken)
    {
        var key = email.Trim().ToLowerInvariant();
        if (!_accounts.Value.TryGetValue(key, out var account))
        {
            // Same work for an unknown address as for a wrong password: no account enumeration by timing.
            _hasher.VerifyHashedPassword(new StaffAccount(), _decoyHash.Value, password);
            return Task.FromResult<ClaimsPrincipal?>(null);
        }

        if (_hasher.VerifyHashedPassword(account, account.PasswordHash, password) == PasswordVerificationResult.Failed)
            return Task.FromResult<ClaimsPrincipal?>(null);

        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, key), new(ClaimTypes.Name, key), new(ClaimTypes.Email, key) };
        claims.AddRange(account.Roles.Select(role => new Claim(ClaimTypes.Role, role)));
        return Task.FromResult<ClaimsPrincipal?>(new ClaimsPrincipal(new ClaimsIdentity(claims, "StaffDirectory")));
    }

    Dictionary<string, StaffAccount> Load(SupportOptions options, CommerceOptions commerce)
    {
        var accounts = new Dictionary<string, StaffAccount>(StringComparer.Ordinal);
        foreach (var account in options.Staff.Where(a => a.Email.Length > 0 && a.PasswordHash.Length > 0))
            accounts[account.Email.Trim().ToLowerInvariant()] = account;

        if (options.SeedDemoStaff ?? IsEmbeddedDefault(commerce))
        {
            foreach (var (email, role) in DemoAccounts.Where(demo => !accounts.ContainsKey(demo.Email)))
            {
                var account = new StaffAccount { Email = email, Roles = [role] };
                account.PasswordHash = _hasher.HashPassword(account, DemoPassword);
                accounts[email] = account;
            }

            LogDemoAccounts(_logger, DemoAccounts.Length);
        }

        return accounts;
    }

    static bool IsEmbeddedDefault(CommerceOptions commerce) =>
        commerce.Transport == TransportKind.InMemory && commerce.DatabaseProvider == DatabaseProvider.Sqlite;

    [LoggerMessage(Level = LogLevel.Information, Message = "Support console: {Count} demo accounts available (embedded default)")]
    static partial void LogDemoAccounts(ILogger logger, int count);
}

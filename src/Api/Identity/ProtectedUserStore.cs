using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;

namespace GlobalCommerce.Api.Identity;

// Identity keeps the authenticator's shared secret and the unused recovery codes as user tokens. Whoever reads auth.db
// (a backup, a copied file) must not be able to generate codes or sign in with them: those two tokens are stored
// encrypted with Data Protection, whose keys live apart from the database.
public sealed class ProtectedUserStore(AuthDbContext context, IDataProtectionProvider protection, IdentityErrorDescriber? describer = null)
    : UserStore<CommerceUser, IdentityRole<Guid>, AuthDbContext, Guid>(context, describer)
{
    const string IdentityProvider = "[AspNetUserStore]";
    static readonly HashSet<string> Secrets = ["AuthenticatorKey", "RecoveryCodes"];

    readonly IDataProtector _protector = protection.CreateProtector("GlobalCommerce.Identity.UserTokens.v1");

    public override Task SetTokenAsync(CommerceUser user, string loginProvider, string name, string? value, CancellationToken cancellationToken) =>
        base.SetTokenAsync(user, loginProvider, name, IsSecret(loginProvider, name) && value is not null ? _protector.Protect(value) : value, cancellationToken);

    public override async Task<string?> GetTokenAsync(CommerceUser user, string loginProvider, string name, CancellationToken cancellationToken)
    {
        var stored = await base.GetTokenAsync(user, loginProvider, name, cancellationToken);
        return IsSecret(loginProvider, name) && stored is not null ? _protector.Unprotect(stored) : stored;
    }

    static bool IsSecret(string loginProvider, string name) => loginProvider == IdentityProvider && Secrets.Contains(name);
}

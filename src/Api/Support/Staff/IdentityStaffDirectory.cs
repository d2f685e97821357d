using System.Security.Claims;
using GlobalCommerce.Api.Identity;
using Microsoft.AspNetCore.Identity;

namespace GlobalCommerce.Api.Support.Staff;

// Staff are ordinary accounts of the platform's ASP.NET Core Identity store (auth database) with the support or admin
// role: the same password hashing, lockout and TOTP as the API's login. A wrong password or code counts towards
// lockout here too, so the console is no side door for guessing.
public sealed partial class IdentityStaffDirectory(UserManager<CommerceUser> users, ILogger<IdentityStaffDirectory> logger) : IStaffDirectory
{
    static readonly Lazy<string> DecoyHash = new(() => new PasswordHasher<CommerceUser>().HashPassword(new CommerceUser(), Guid.NewGuid().ToString()));

    public async Task<StaffSignIn> ValidateAsync(string email, string password, string? totpCode, CancellationToken cancellationToken)
    {
        var user = await users.FindByEmailAsync(email.Trim());
        if (user is null)
        {
            // Same work as for a wrong password: no account enumeration by timing.
            users.PasswordHasher.VerifyHashedPassword(new CommerceUser(), DecoyHash.Value, password);
            return StaffSignIn.Failed;
        }

        if (await users.IsLockedOutAsync(user))
            return StaffSignIn.Failed;
        if (!await users.CheckPasswordAsync(user, password))
        {
            await users.AccessFailedAsync(user);
            return StaffSignIn.Failed;
        }

        if (await users.GetTwoFactorEnabledAsync(user))
        {
            if (string.IsNullOrWhiteSpace(totpCode))
                return StaffSignIn.NeedsCode;
            var code = totpCode.Replace(" ", "", StringComparison.Ordinal);
            if (!await users.VerifyTwoFactorTokenAsync(user, users.Options.Tokens.AuthenticatorTokenProvider, code)
                && !(await users.RedeemTwoFactorRecoveryCodeAsync(user, code)).Succeeded)
            {
                await users.AccessFailedAsync(user);
                return StaffSignIn.Failed;
            }
        }

        await users.ResetAccessFailedCountAsync(user);
        var name = user.Email!.ToLowerInvariant();
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, user.Id.ToString()), new(ClaimTypes.Name, name), new(ClaimTypes.Email, name) };
        claims.AddRange((await users.GetRolesAsync(user)).Select(role => new Claim(ClaimTypes.Role, role)));
        LogValidated(logger, user.Id);
        return new StaffSignIn(new ClaimsPrincipal(new ClaimsIdentity(claims, "Identity")), CodeRequired: false);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Support console credentials accepted for user {UserId}")]
    static partial void LogValidated(ILogger logger, Guid userId);
}

using System.Security.Claims;
using GlobalCommerce.Api.Identity;
using Microsoft.AspNetCore.Identity;

namespace GlobalCommerce.Api.Support.Staff;

// Staff are ordinary accounts of the platform's ASP.NET Core Identity store (auth database) with the support or admin
// role. The password goes through the API's PasswordGate: the same per-IP and per-account limits, lockout and hashing
// work as the API's login, so the console is no side door for guessing.
public sealed partial class IdentityStaffDirectory(PasswordGate gate, UserManager<CommerceUser> users, ILogger<IdentityStaffDirectory> logger)
    : IStaffDirectory
{
    public async Task<StaffSignIn> ValidateAsync(string email, string password, string? totpCode, string? ipAddress, CancellationToken cancellationToken)
    {
        var check = await gate.CheckAsync(email, password, ipAddress);
        if (check.Verdict == PasswordVerdict.Throttled)
            return StaffSignIn.Throttled(check.RetryAfter);
        if (!check.Passed)
        {
            LogRefused(logger, check.User?.Id, check.Reason);
            return StaffSignIn.Failed;
        }

        var user = check.User!;
        var roles = await users.GetRolesAsync(user);
        // Checked before the second factor, so a shopper's right password gets the same answer as a wrong one.
        if (!roles.Contains(StaffRoles.Support) && !roles.Contains(StaffRoles.Admin))
        {
            LogRefused(logger, user.Id, "not-staff");
            return StaffSignIn.Failed;
        }

        if (await users.GetTwoFactorEnabledAsync(user))
        {
            if (string.IsNullOrWhiteSpace(totpCode))
                return StaffSignIn.NeedsCode;
            var second = await gate.CheckSecondFactorAsync(user, totpCode);
            if (!second.Passed)
            {
                LogRefused(logger, user.Id, second.Reason);
                return StaffSignIn.Failed;
            }
        }

        await users.ResetAccessFailedCountAsync(user);
        var name = user.Email!.ToLowerInvariant();
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, user.Id.ToString()), new(ClaimTypes.Name, name), new(ClaimTypes.Email, name) };
        claims.AddRange(roles.Select(role => new Claim(ClaimTypes.Role, role)));
        LogValidated(logger, user.Id);
        return new StaffSignIn(new ClaimsPrincipal(new ClaimsIdentity(claims, "Identity")), CodeRequired: false);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Support console credentials accepted for user {UserId}")]
    static partial void LogValidated(ILogger logger, Guid userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Support console sign-in refused for user {UserId}: {Reason}")]
    static partial void LogRefused(ILogger logger, Guid? userId, string reason);
}

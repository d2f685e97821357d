using System.Security.Claims;

namespace GlobalCommerce.Api.Support.Staff;

// The support console's only question about accounts: who is this, and in which roles? Answers a principal with
// ClaimTypes.Name/Email and one ClaimTypes.Role claim per role, or no principal for wrong credentials (and says when
// the account needs its authenticator code). Implemented on ASP.NET Core Identity's store (IdentityStaffDirectory).
public interface IStaffDirectory
{
    Task<StaffSignIn> ValidateAsync(string email, string password, string? totpCode, CancellationToken cancellationToken);
}

public sealed record StaffSignIn(ClaimsPrincipal? Principal, bool CodeRequired)
{
    public static readonly StaffSignIn Failed = new(null, false);

    public static readonly StaffSignIn NeedsCode = new(null, true);
}

public static class StaffRoles
{
    public const string Support = GlobalCommerce.Api.Identity.Roles.Support;
    public const string Admin = GlobalCommerce.Api.Identity.Roles.Admin;
}

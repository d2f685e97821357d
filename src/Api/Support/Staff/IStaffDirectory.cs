using System.Security.Claims;

namespace GlobalCommerce.Api.Support.Staff;

// The support console's only question about accounts: is this a member of staff, and in which roles? Answers a
// principal with ClaimTypes.NameIdentifier/Name/Email and one ClaimTypes.Role claim per role. Every refusal (unknown
// address, wrong password, locked, not staff) is the same Failed, so the console is no oracle for passwords or accounts;
// only a member of staff whose password is right learns that a code is needed. Implemented on ASP.NET Core Identity's
// store (IdentityStaffDirectory).
public interface IStaffDirectory
{
    Task<StaffSignIn> ValidateAsync(string email, string password, string? totpCode, string? ipAddress, CancellationToken cancellationToken);
}

public sealed record StaffSignIn(ClaimsPrincipal? Principal, bool CodeRequired, TimeSpan? RetryAfter = null)
{
    public static readonly StaffSignIn Failed = new(null, false);

    public static readonly StaffSignIn NeedsCode = new(null, true);

    public static StaffSignIn Throttled(TimeSpan retryAfter) => new(null, false, retryAfter);
}

public static class StaffRoles
{
    public const string Support = GlobalCommerce.Api.Identity.Roles.Support;
    public const string Admin = GlobalCommerce.Api.Identity.Roles.Admin;
}

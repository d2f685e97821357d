using System.Security.Claims;

namespace GlobalCommerce.Api.Support.Staff;

// The support console's only question about accounts: who is this, and in which roles? Answers a principal with
// ClaimTypes.Name/Email and one ClaimTypes.Role claim per role, or null for wrong credentials. The console depends on
// nothing else (role claims "support" and "admin"), so ASP.NET Core Identity's user store can replace the
// configuration-backed implementation in this folder without touching the pages.
public interface IStaffDirectory
{
    Task<ClaimsPrincipal?> ValidateAsync(string email, string password, CancellationToken cancellationToken);
}

public static class StaffRoles
{
    public const string Support = "support";
    public const string Admin = "admin";
}

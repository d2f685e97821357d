using Microsoft.AspNetCore.Identity;

namespace GlobalCommerce.Api.Identity;

// The user's id is the customer id every order carries.
public sealed class CommerceUser : IdentityUser<Guid>
{
    public DateTimeOffset CreatedAt { get; set; }
}

using Microsoft.AspNetCore.Identity;

namespace GlobalCommerce.Api.Identity;

// A breached-password-style check: the most common passwords of public breach corpora (and their obvious variants
// with digits and symbols stripped) are refused even when they satisfy the composition rules.
public sealed class CommonPasswordValidator : IPasswordValidator<CommerceUser>
{
    static readonly HashSet<string> Common = new(StringComparer.OrdinalIgnoreCase)
    {
        "password", "passw0rd", "password1", "password12", "password123", "password1234", "p@ssw0rd", "p@ssword",
        "123456", "12345678", "123456789", "1234567890", "qwerty", "qwertyuiop", "qwerty123", "1q2w3e4r", "1q2w3e4r5t",
        "iloveyou", "admin", "admin123", "administrator", "welcome", "welcome1", "welcome123", "letmein", "letmein123",
        "monkey", "dragon", "football", "baseball", "sunshine", "princess", "abc123", "abcdef", "abcd1234",
        "changeme", "secret", "superman", "trustno1", "master", "shadow", "michael", "starwars", "whatever",
        "summer2024", "winter2024", "spring2024", "autumn2024", "summer2025", "winter2025", "spring2025", "autumn2025",
        "qazwsx", "zaq12wsx", "asdfghjkl", "asdf1234", "zxcvbnm", "987654321", "11111111", "00000000",
    };

    public Task<IdentityResult> ValidateAsync(UserManager<CommerceUser> manager, CommerceUser user, string? password)
    {
        if (password is null)
            return Task.FromResult(IdentityResult.Success);
        var core = new string([.. password.Where(char.IsLetterOrDigit)]);
        var lettersOnly = new string([.. password.Where(char.IsLetter)]);
        var local = user.Email?.Split('@')[0];
        if (Common.Contains(password) || Common.Contains(core) || Common.Contains(lettersOnly)
            || (local is { Length: >= 4 } && password.Contains(local, StringComparison.OrdinalIgnoreCase)))
        {
            return Task.FromResult(IdentityResult.Failed(new IdentityError
            {
                Code = "PasswordTooCommon",
                Description = "This password appears in lists of breached or common passwords, or contains the email address. Choose another.",
            }));
        }

        return Task.FromResult(IdentityResult.Success);
    }
}

namespace GlobalCommerce.Api.Identity;

public sealed record RegisterRequest(string? Email, string? Password);

public sealed record LoginRequest(string? Email, string? Password, string? TotpCode);

public sealed record RefreshRequest(string? RefreshToken);

public sealed record MfaEnrolRequest(string? Password);

public sealed record MfaConfirmRequest(string? Code);

public sealed record Registered(string Message);

public sealed record TokenResponse(string AccessToken, string RefreshToken, int ExpiresIn, string TokenType = "Bearer");

public sealed record MfaEnrolment(string SharedKey, string OtpauthUri);

public sealed record RecoveryCodes(IReadOnlyList<string> Codes);

using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GlobalCommerce.Api.Identity;

public sealed record TokenPair(string AccessToken, string RefreshToken, int ExpiresIn);

public abstract record RefreshOutcome
{
    public sealed record Rotated(Session Session, string RefreshToken) : RefreshOutcome;

    public sealed record Reused(Session Session) : RefreshOutcome;

    public sealed record Invalid : RefreshOutcome;
}

// Access tokens: ES256 JWTs (sub = user id = customer id, sid = session, role claims). Refresh tokens:
// "<session id>.<256 random bits>"; the store keeps only a SHA-256 of the random part.
public sealed class TokenIssuer(SigningKeys keys, AuthOptions options, ISessionStore sessions, TimeProvider clock)
{
    static readonly JsonWebTokenHandler Handler = new();

    public async Task<(Session Session, string RefreshToken)> StartSessionAsync(Guid userId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var (secret, hash) = NewSecret();
        var session = new Session(Guid.NewGuid(), userId, hash, [], now, now, now + options.RefreshTokenLifetime);
        await sessions.CreateAsync(session, cancellationToken);
        return (session, Format(session.Id, secret));
    }

    public async Task<RefreshOutcome> RefreshAsync(string refreshToken, CancellationToken cancellationToken)
    {
        if (!TryParse(refreshToken, out var sessionId, out var secret))
            return new RefreshOutcome.Invalid();
        var session = await sessions.FindAsync(sessionId, cancellationToken);
        if (session is null)
            return new RefreshOutcome.Invalid();

        var presented = Hash(secret);
        if (session.UsedTokenHashes.Contains(presented))
        {
            await sessions.RevokeAsync(session, cancellationToken);
            return new RefreshOutcome.Reused(session);
        }

        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(presented), Encoding.ASCII.GetBytes(session.CurrentTokenHash)))
            return new RefreshOutcome.Invalid();

        var now = clock.GetUtcNow();
        var (next, nextHash) = NewSecret();
        var rotated = session with
        {
            CurrentTokenHash = nextHash,
            UsedTokenHashes = [.. session.UsedTokenHashes, presented],
            RefreshedAt = now,
            ExpiresAt = now + options.RefreshTokenLifetime,
        };
        if (await sessions.ReplaceAsync(session, rotated, cancellationToken))
            return new RefreshOutcome.Rotated(rotated, Format(session.Id, next));

        // Another refresh with the same token won the race: this one is the reuse.
        if (await sessions.FindAsync(sessionId, cancellationToken) is { } current)
            await sessions.RevokeAsync(current, cancellationToken);
        return new RefreshOutcome.Reused(session);
    }

    public TokenPair Issue(CommerceUser user, IEnumerable<string> roles, Session session, string refreshToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + options.AccessTokenLifetime,
            SigningCredentials = keys.Credentials,
            Subject = new ClaimsIdentity(
            [
                new Claim(JwtRegisteredClaimNames.Sub, user.Id.ToString()),
                new Claim(JwtRegisteredClaimNames.Email, user.Email ?? string.Empty),
                new Claim(JwtRegisteredClaimNames.Sid, session.Id.ToString()),
                new Claim(JwtRegisteredClaimNames.Jti, Guid.NewGuid().ToString()),
                .. roles.Select(role => new Claim("role", role)),
            ]),
        };
        return new TokenPair(Handler.CreateToken(descriptor), refreshToken, (int)options.AccessTokenLifetime.TotalSeconds);
    }

    static (string Secret, string Hash) NewSecret()
    {
        var secret = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        return (secret, Hash(secret));
    }

    static string Hash(string secret) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    static string Format(Guid sessionId, string secret) => $"{sessionId:N}.{secret}";

    static bool TryParse(string token, out Guid sessionId, out string secret)
    {
        sessionId = Guid.Empty;
        secret = string.Empty;
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == token.Length - 1 || !Guid.TryParseExact(token[..dot], "N", out sessionId))
            return false;
        secret = token[(dot + 1)..];
        return true;
    }
}

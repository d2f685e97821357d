using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Api.Identity;

public enum PasswordVerdict
{
    Passed,
    Failed,
    Throttled,
}

// Reason is for logs and events only; callers answer every failure alike. Counted: the failure was counted towards the
// account's lockout (a write to auth_db), and the caller's onCounted ran in that write's transaction.
public sealed record PasswordCheck(PasswordVerdict Verdict, CommerceUser? User, string Reason, TimeSpan RetryAfter = default,
    DateTimeOffset? LockedUntil = null, bool Counted = false)
{
    public bool Passed => Verdict == PasswordVerdict.Passed;
}

// The one way a password is checked (API login, DELETE /api/me, MFA enrolment, the support console). Each caller
// therefore gets the same per-IP and per-account limits, the same lockout (a locked account is refused even with the
// right password) and the same work: exactly one hash verification on every path, against a decoy hash when the
// address is unknown, so neither the answer nor its timing tells who has an account or which accounts are locked.
// onCounted: what the caller records about a failure that was counted (the login's facts), written in the transaction
// that counts it, so the count, a lockout it causes and the record commit together or not at all.
public sealed class PasswordGate(UserManager<CommerceUser> users, AuthDbContext db, AccountRateLimiter limits, DecoyPasswordHash decoy,
    TimeProvider clock)
{
    public async Task<PasswordCheck> CheckAsync(string email, string password, string? ip, Func<PasswordCheck, Task>? onCounted = null)
    {
        var account = email.Trim();
        if (Throttled(account, ip) is { } wait)
            return new PasswordCheck(PasswordVerdict.Throttled, null, "throttled", wait);
        return await VerifyAsync(await users.FindByEmailAsync(account), password, onCounted);
    }

    // For a caller already holding the account (an access token): the password proves it is still its owner.
    public async Task<PasswordCheck> CheckAsync(CommerceUser user, string password, string? ip)
    {
        if (Throttled(user.Email ?? user.Id.ToString(), ip) is { } wait)
            return new PasswordCheck(PasswordVerdict.Throttled, user, "throttled", wait);
        return await VerifyAsync(user, password, null);
    }

    // A second factor after a passed password: a TOTP code for a time step later than the last accepted one (RFC 6238
    // §5.2: a code is good once), or an unused recovery code. A wrong one counts towards lockout like a wrong password.
    public async Task<PasswordCheck> CheckSecondFactorAsync(CommerceUser user, string code, bool allowRecoveryCode = true,
        Func<PasswordCheck, Task>? onCounted = null)
    {
        var compact = code.Replace(" ", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
        if (await AcceptTotpAsync(user, compact)
            || (allowRecoveryCode && (await users.RedeemTwoFactorRecoveryCodeAsync(user, code.Trim())).Succeeded))
            return new PasswordCheck(PasswordVerdict.Passed, user, "second-factor");
        return await CountFailureAsync(user, "wrong-second-factor", onCounted);
    }

    TimeSpan? Throttled(string account, string? ip) =>
        limits.TryAcquireIp(ip ?? "unknown") ?? limits.TryAcquire("password:" + account);

    async Task<PasswordCheck> VerifyAsync(CommerceUser? user, string password, Func<PasswordCheck, Task>? onCounted)
    {
        var hash = user?.PasswordHash;
        var verified = users.PasswordHasher.VerifyHashedPassword(user ?? new CommerceUser(), hash ?? decoy.Value, password);
        if (user is null || hash is null)
            return new PasswordCheck(PasswordVerdict.Failed, user, user is null ? "unknown-account" : "no-password");
        if (await users.IsLockedOutAsync(user))
            return new PasswordCheck(PasswordVerdict.Failed, user, "locked-out");
        if (verified == PasswordVerificationResult.Failed)
            return await CountFailureAsync(user, "wrong-password", onCounted);
        if (verified == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = users.PasswordHasher.HashPassword(user, password);
            await users.UpdateAsync(user);
        }

        return new PasswordCheck(PasswordVerdict.Passed, user, "password");
    }

    // Opened only after the hash was verified, so the transaction (on SQLite the file's write lock) lasts one UPDATE and
    // the caller's INSERTs.
    async Task<PasswordCheck> CountFailureAsync(CommerceUser user, string reason, Func<PasswordCheck, Task>? onCounted)
    {
        await using var transaction = onCounted is null ? null : await db.Database.BeginTransactionAsync();
        // Not counted when a concurrent attempt saved the account first (its concurrency stamp changed): then nothing
        // was written, and no lockout either.
        var counted = (await users.AccessFailedAsync(user)).Succeeded;
        var lockedUntil = counted && await users.IsLockedOutAsync(user) ? await users.GetLockoutEndDateAsync(user) : null;
        var check = new PasswordCheck(PasswordVerdict.Failed, user, reason, LockedUntil: lockedUntil, Counted: counted);
        if (transaction is not null && counted)
        {
            await onCounted!(check);
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
        }

        return check;
    }

    async Task<bool> AcceptTotpAsync(CommerceUser user, string code)
    {
        if (await users.GetAuthenticatorKeyAsync(user) is not { } key || Totp.MatchingStep(key, code, clock.GetUtcNow()) is not { } step)
            return false;
        var last = await users.GetAuthenticationTokenAsync(user, LastStepProvider, LastStepName);
        if (long.TryParse(last, CultureInfo.InvariantCulture, out var lastStep) && step <= lastStep)
            return false;
        try
        {
            // Saved with the user's concurrency stamp: of two logins racing with one code, the second fails here.
            return (await users.SetAuthenticationTokenAsync(user, LastStepProvider, LastStepName, step.ToString(CultureInfo.InvariantCulture))).Succeeded;
        }
        catch (DbUpdateException)
        {
            return false;
        }
    }

    const string LastStepProvider = "[GlobalCommerce]";
    const string LastStepName = "TotpLastAcceptedStep";
}

// Made once per process with the configured iteration count, so verifying against it costs what a real account costs.
public sealed class DecoyPasswordHash(IPasswordHasher<CommerceUser> hasher)
{
    readonly Lazy<string> _hash = new(() => hasher.HashPassword(new CommerceUser(), Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));

    public string Value => _hash.Value;
}

// RFC 6238 with the authenticator app defaults (HMAC-SHA1, 6 digits, 30 s steps), one step of clock drift either way.
public static class Totp
{
    public static long? MatchingStep(string base32Key, string code, DateTimeOffset now)
    {
        if (code.Length != 6 || !code.All(char.IsAsciiDigit))
            return null;
        var key = Base32Decode(base32Key);
        var current = now.ToUnixTimeSeconds() / 30;
        long? matched = null;
        for (var step = current - 1; step <= current + 1; step++)
        {
            if (CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(Code(key, step)), System.Text.Encoding.ASCII.GetBytes(code)))
                matched = step;
        }

        return matched;
    }

    static string Code(byte[] key, long step)
    {
        Span<byte> counter = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(counter, step);
        var hash = HMACSHA1.HashData(key, counter);
        var offset = hash[^1] & 0x0f;
        var value = ((hash[offset] & 0x7f) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return (value % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
    }

    static byte[] Base32Decode(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bits = 0;
        var buffer = 0;
        var bytes = new List<byte>(text.Length * 5 / 8);
        foreach (var c in text.TrimEnd('=').ToUpperInvariant())
        {
            var index = alphabet.IndexOf(c, StringComparison.Ordinal);
            if (index < 0)
                continue;
            buffer = (buffer << 5) | index;
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }

        return [.. bytes];
    }
}

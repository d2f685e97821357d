using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using GlobalCommerce.Api.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Api.Tests.Identity;

public sealed class MfaTests : IDisposable
{
    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task After_enrolment_login_needs_a_current_code_or_a_recovery_code_once()
    {
        var client = await _factory.CreateClientAsAsync("shopper@demo.local");
        var enrolment = await (await client.PostAsJsonAsync("/api/auth/mfa/enrol", new { password = ApiFactory.DemoPassword })).Content.ReadFromJsonAsync<JsonElement>();
        var secret = enrolment.GetProperty("sharedKey").GetString()!;
        Assert.StartsWith("otpauth://totp/", enrolment.GetProperty("otpauthUri").GetString());

        var wrong = await client.PostAsJsonAsync("/api/auth/mfa/confirm", new { code = "000000" == Totp(secret) ? "111111" : "000000" });
        var confirmed = await client.PostAsJsonAsync("/api/auth/mfa/confirm", new { code = Totp(secret) });
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        var recovery = (await confirmed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("codes").EnumerateArray().Select(c => c.GetString()!).ToList();
        Assert.Equal(10, recovery.Count);

        var anonymous = _factory.CreateClient();
        var withoutCode = await anonymous.PostAsJsonAsync("/api/auth/login", new { email = "shopper@demo.local", password = ApiFactory.DemoPassword });
        Assert.Equal(HttpStatusCode.Unauthorized, withoutCode.StatusCode);
        Assert.Equal("urn:globalcommerce:problem:mfa-required", (await withoutCode.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());

        // Confirmation spent the current step; the next step's code (within the one step of drift allowed) is good once.
        var next = Totp(secret, stepOffset: 1);
        var withCode = await anonymous.PostAsJsonAsync("/api/auth/login", new { email = "shopper@demo.local", password = ApiFactory.DemoPassword, totpCode = next });
        var replayed = await anonymous.PostAsJsonAsync("/api/auth/login", new { email = "shopper@demo.local", password = ApiFactory.DemoPassword, totpCode = next });
        var confirmationCode = await anonymous.PostAsJsonAsync("/api/auth/login", new { email = "shopper@demo.local", password = ApiFactory.DemoPassword, totpCode = Totp(secret) });
        Assert.Equal(HttpStatusCode.OK, withCode.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
        Assert.Equal("urn:globalcommerce:problem:invalid-credentials", (await replayed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, confirmationCode.StatusCode);

        var withRecovery = await anonymous.PostAsJsonAsync("/api/auth/login", new { email = "shopper@demo.local", password = ApiFactory.DemoPassword, totpCode = recovery[0] });
        var recoveryAgain = await anonymous.PostAsJsonAsync("/api/auth/login", new { email = "shopper@demo.local", password = ApiFactory.DemoPassword, totpCode = recovery[0] });
        Assert.Equal(HttpStatusCode.OK, withRecovery.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, recoveryAgain.StatusCode);
        Assert.Equal("urn:globalcommerce:problem:invalid-credentials", (await recoveryAgain.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Enrolment_needs_the_current_password()
    {
        var client = await _factory.CreateClientAsAsync("vendor@demo.local");

        var without = await client.PostAsJsonAsync("/api/auth/mfa/enrol", new { });
        var wrong = await client.PostAsJsonAsync("/api/auth/mfa/enrol", new { password = "Not-the-Passw0rd" });
        var right = await client.PostAsJsonAsync("/api/auth/mfa/enrol", new { password = ApiFactory.DemoPassword });

        Assert.Equal(HttpStatusCode.BadRequest, without.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("urn:globalcommerce:problem:invalid-credentials", (await wrong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
    }

    [Fact]
    public async Task The_authenticator_secret_and_recovery_codes_are_not_stored_in_plaintext()
    {
        var client = await _factory.CreateClientAsAsync("vendor@demo.local");
        var enrolment = await (await client.PostAsJsonAsync("/api/auth/mfa/enrol", new { password = ApiFactory.DemoPassword })).Content.ReadFromJsonAsync<JsonElement>();
        var secret = enrolment.GetProperty("sharedKey").GetString()!;
        var confirmed = await client.PostAsJsonAsync("/api/auth/mfa/confirm", new { code = Totp(secret) });
        var recovery = (await confirmed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("codes").EnumerateArray().Select(c => c.GetString()!).ToList();

        await using var scope = _factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
        var stored = await db.UserTokens.AsNoTracking().Select(t => t.Name + "=" + t.Value).ToListAsync();
        var raw = string.Join('\n', stored);
        Assert.Contains(stored, t => t.StartsWith("AuthenticatorKey=", StringComparison.Ordinal));
        Assert.Contains(stored, t => t.StartsWith("RecoveryCodes=", StringComparison.Ordinal));
        Assert.DoesNotContain(secret, raw, StringComparison.OrdinalIgnoreCase);
        Assert.All(recovery, code => Assert.DoesNotContain(code, raw, StringComparison.OrdinalIgnoreCase));

        var login = await _factory.CreateClient().PostAsJsonAsync("/api/auth/login",
            new { email = "vendor@demo.local", password = ApiFactory.DemoPassword, totpCode = Totp(secret, stepOffset: 1) });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    // RFC 6238 with the authenticator defaults (SHA-1, 6 digits, 30 s), written here so the test does not trust the code under test.
    internal static string Totp(string base32Secret, int stepOffset = 0)
    {
        var key = Base32(base32Secret);
        var counter = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30 + stepOffset;
        var message = BitConverter.GetBytes(counter);
        if (BitConverter.IsLittleEndian)
            Array.Reverse(message);
        var hash = HMACSHA1.HashData(key, message);
        var offset = hash[^1] & 0x0f;
        var value = ((hash[offset] & 0x7f) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return (value % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    static byte[] Base32(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bits = 0;
        var buffer = 0;
        var bytes = new List<byte>();
        foreach (var c in text.TrimEnd('=').ToUpperInvariant())
        {
            buffer = (buffer << 5) | alphabet.IndexOf(c, StringComparison.Ordinal);
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

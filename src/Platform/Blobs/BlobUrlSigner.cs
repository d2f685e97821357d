using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace GlobalCommerce.Platform.Blobs;

// Read URLs that our own API serves: /api/blobs/{container}/{name}?expires={unix seconds}&signature={HMAC-SHA256}. The
// signature covers the container, the name and the expiry, so none of them can be changed; it is checked in constant
// time. Used by the local store, and by the Azure store when its credential cannot sign a SAS.
public sealed class BlobUrlSigner
{
    public const string PathPrefix = "/api/blobs/";
    const string KeyFileName = "blob-url-signing.key";
    const int MinKeyBytes = 32;

    readonly byte[] _key;
    readonly TimeProvider _clock;

    public BlobUrlSigner(byte[] key, TimeProvider clock)
    {
        if (key.Length < MinKeyBytes)
            throw new ArgumentException($"The signing key must be at least {MinKeyBytes} bytes.", nameof(key));
        _key = key;
        _clock = clock;
    }

    public static BlobUrlSigner Create(BlobOptions options, CommerceOptions commerce, TimeProvider clock) =>
        new(options.SigningKey is { Length: > 0 } configured ? Decode(configured) : LoadOrCreateKey(commerce.DataDirectory), clock);

    public BlobReadUrl Sign(string container, string name, TimeSpan lifetime)
    {
        BlobNames.Validate(container, name);
        var expires = _clock.GetUtcNow().Add(lifetime);
        var seconds = expires.ToUnixTimeSeconds();
        var url = $"{PathPrefix}{container}/{name}?expires={seconds}&signature={Signature(container, name, seconds)}";
        return new BlobReadUrl(new Uri(url, UriKind.Relative), DateTimeOffset.FromUnixTimeSeconds(seconds));
    }

    public SignedUrlCheck Check(string container, string name, string? expires, string? signature)
    {
        if (!BlobNames.IsValid(container, name) || !long.TryParse(expires, System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var seconds) || string.IsNullOrEmpty(signature))
            return SignedUrlCheck.Invalid;
        byte[] given;
        try
        {
            given = WebEncoders.Base64UrlDecode(signature);
        }
        catch (FormatException)
        {
            return SignedUrlCheck.Invalid;
        }

        if (!CryptographicOperations.FixedTimeEquals(given, Mac(container, name, seconds)))
            return SignedUrlCheck.Invalid;
        return _clock.GetUtcNow().ToUnixTimeSeconds() >= seconds ? SignedUrlCheck.Expired : SignedUrlCheck.Valid;
    }

    string Signature(string container, string name, long seconds) => WebEncoders.Base64UrlEncode(Mac(container, name, seconds));

    byte[] Mac(string container, string name, long seconds) =>
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{container}\n{name}\n{seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}"));

    static byte[] Decode(string configured)
    {
        try
        {
            return Convert.FromBase64String(configured);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{BlobOptions.Section}:SigningKey must be base64 (of at least {MinKeyBytes} bytes).");
        }
    }

    // Written to a temporary file and moved into place without overwriting: two processes starting on one folder end
    // up with the same key, whichever wrote first.
    static byte[] LoadOrCreateKey(string dataDirectory)
    {
        var path = Path.Combine(Path.GetFullPath(dataDirectory), KeyFileName);
        if (File.Exists(path))
            return Convert.FromBase64String(File.ReadAllText(path).Trim());
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        Persistence.DataFiles.OwnerOnly(temporary);
        File.WriteAllText(temporary, Convert.ToBase64String(RandomNumberGenerator.GetBytes(MinKeyBytes)));
        try
        {
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
        }

        return Convert.FromBase64String(File.ReadAllText(path).Trim());
    }
}

public enum SignedUrlCheck
{
    Valid,
    Expired,
    Invalid,
}

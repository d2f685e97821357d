using System.Security.Cryptography;
using GlobalCommerce.Platform;
using Microsoft.IdentityModel.Tokens;

namespace GlobalCommerce.Api.Identity;

// One ECDSA P-256 key signs access tokens (ES256); its public half is published as JWKS so any service validates
// tokens without a shared secret. The private key is read from a file and never logged.
public sealed class SigningKeys
{
    public const string Algorithm = SecurityAlgorithms.EcdsaSha256;
    const string EmbeddedKeyFile = "identity-signing-key.pem";

    SigningKeys(ECDsa key)
    {
        var parameters = key.ExportParameters(includePrivateParameters: false);
        var publicKey = ECDsa.Create(parameters);
        var publicJwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(publicKey));
        var keyId = Base64UrlEncoder.Encode(publicJwk.ComputeJwkThumbprint());
        publicJwk.KeyId = keyId;
        publicJwk.Use = JsonWebKeyUseNames.Sig;
        publicJwk.Alg = Algorithm;

        Credentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = keyId }, Algorithm);
        ValidationKey = new ECDsaSecurityKey(publicKey) { KeyId = keyId };
        PublicJwk = publicJwk;
    }

    public SigningCredentials Credentials { get; }

    public SecurityKey ValidationKey { get; }

    public JsonWebKey PublicJwk { get; }

    public static SigningKeys Load(AuthOptions auth, CommerceOptions commerce)
    {
        if (!string.IsNullOrWhiteSpace(auth.SigningKeyPath))
        {
            if (!File.Exists(auth.SigningKeyPath))
                throw new InvalidOperationException("Commerce:Identity:SigningKeyPath names a file that does not exist.");
            return FromPem(File.ReadAllText(auth.SigningKeyPath));
        }

        if (!commerce.IsEmbedded)
        {
            throw new InvalidOperationException(
                "Commerce:Identity:SigningKeyPath is required in the distributed mode: point it at a PEM file with an ECDSA P-256 private key.");
        }

        var path = Path.Combine(Path.GetFullPath(commerce.DataDirectory), EmbeddedKeyFile);
        if (File.Exists(path))
            return FromPem(File.ReadAllText(path));

        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        else
            Directory.CreateDirectory(Path.GetDirectoryName(path)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var created = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = created.ExportPkcs8PrivateKeyPem();
        try
        {
            var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
                fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using var file = new FileStream(path, fileOptions);
            using var writer = new StreamWriter(file);
            writer.Write(pem);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process sharing the data directory wrote it first; everyone signs with that one.
        }

        return FromPem(File.ReadAllText(path));
    }

    public static SigningKeys FromPem(string pem)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        if (key.KeySize != 256)
            throw new InvalidOperationException("The signing key must be an ECDSA P-256 key.");
        return new SigningKeys(key);
    }
}

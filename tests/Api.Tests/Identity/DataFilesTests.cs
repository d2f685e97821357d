using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Api.Tests.Identity;

// The data folder holds the databases (accounts, orders), the token signing key and the Data Protection keys that
// decrypt authenticator secrets: nobody but the service's own user may read any of it.
public sealed class DataFilesTests : IDisposable
{
    const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task The_data_directory_its_databases_and_its_keys_are_owner_only()
    {
        if (OperatingSystem.IsWindows())
            return;
        // Log in so the signing key and a Data Protection key exist too.
        await _factory.CreateClientAsAsync("shopper@demo.local");
        await (await _factory.CreateClientAsAsync("vendor@demo.local")).PostAsync("/api/auth/mfa/enrol",
            System.Net.Http.Json.JsonContent.Create(new { password = ApiFactory.DemoPassword }));
        var data = _factory.Services.GetRequiredService<IConfiguration>()["Commerce:DataDirectory"]!;

        var entries = Directory.EnumerateFileSystemEntries(data, "*", SearchOption.AllDirectories).Append(data).ToList();

        Assert.Contains(entries, e => e.EndsWith("auth.db", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.EndsWith("auth.db-wal", StringComparison.Ordinal));
        Assert.Contains(entries, e => Path.GetFileName(Path.GetDirectoryName(e)) == "data-protection-keys" && e.EndsWith(".xml", StringComparison.Ordinal));
        var shared = new List<string>();
        foreach (var entry in entries)
        {
            var mode = File.GetUnixFileMode(entry);
            if ((mode & GroupOrOther) != 0)
                shared.Add($"{entry} is {mode}");
        }

        Assert.True(shared.Count == 0, string.Join(Environment.NewLine, shared));
    }
}

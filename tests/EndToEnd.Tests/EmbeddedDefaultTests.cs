namespace GlobalCommerce.EndToEnd.Tests;

// The embedded default as `dotnet run --project src/Api` starts it: no Commerce settings at all.
public sealed class EmbeddedDefaultTests : IDisposable
{
    readonly string _home = Path.Combine(Path.GetTempPath(), "gc-embedded-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_home))
            Directory.Delete(_home, recursive: true);
    }

    [Fact]
    public async Task Listens_where_ASPNETCORE_URLS_says_and_keeps_its_data_and_key_out_of_the_source_tree()
    {
        var started = DateTime.UtcNow;
        var dataHome = Path.Combine(_home, "share");
        await using var api = HostProcess.Start("Api", new Dictionary<string, string> { ["XDG_DATA_HOME"] = dataHome }, addressByEnvironment: true);

        await api.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));

        var data = Path.Combine(dataHome, "globalcommerce");
        Assert.True(File.Exists(Path.Combine(data, "orders.db")), $"no orders.db under {data}");
        Assert.True(File.Exists(Path.Combine(data, "identity-signing-key.pem")), $"no signing key under {data}");
        var written = Directory.EnumerateFiles(HostProcess.RepositoryRoot(), "*", SearchOption.AllDirectories)
            .Where(file => File.GetLastWriteTimeUtc(file) >= started)
            .ToList();
        Assert.DoesNotContain(written, file => file.EndsWith(".pem", StringComparison.Ordinal) || file.EndsWith(".db", StringComparison.Ordinal));
    }
}

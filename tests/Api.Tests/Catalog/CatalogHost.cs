using System.Diagnostics;
using System.Reflection;
using Xunit.Sdk;

namespace GlobalCommerce.Api.Tests.Catalog;

public enum CatalogMode
{
    Embedded,
    RealServers,
}

// The catalog's behaviour tests run on the embedded default, and on the real servers whenever scripts/test.sh started
// them. On CI they always run there, and servers that are missing fail them.
[AttributeUsage(AttributeTargets.Method)]
public sealed class CatalogModesAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod)
    {
        yield return [CatalogMode.Embedded];
        if (CatalogHost.RealServersConfigured || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            yield return [CatalogMode.RealServers];
    }
}

public sealed class RealServersFactAttribute : FactAttribute
{
    public RealServersFactAttribute()
    {
        if (!CatalogHost.RealServersConfigured && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            Skip = $"{string.Join(", ", CatalogHost.MissingVariables)} not set: run the suite with scripts/test.sh";
    }
}

// An API host for one test. Real servers: product_db and the other domains on PostgreSQL (a database prefix of its own),
// the bus and the streams on RabbitMQ (a virtual host of its own, so no other test's hosts share its queues or streams),
// the product and search caches in Redis (a key prefix of its own), images in Azurite.
public sealed class CatalogHost : IAsyncDisposable
{
    static readonly string[] Variables = ["GC_TEST_POSTGRES", "GC_TEST_RABBITMQ", "GC_TEST_RABBITMQ_CTL", "GC_TEST_REDIS", "GC_TEST_AZURITE"];

    readonly string? _virtualHost;

    CatalogHost(ApiFactory factory, string? virtualHost, string? redisPrefix)
    {
        Factory = factory;
        _virtualHost = virtualHost;
        RedisPrefix = redisPrefix;
    }

    public static IEnumerable<string> MissingVariables => Variables.Where(v => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v)));

    public static bool RealServersConfigured => !MissingVariables.Any();

    public ApiFactory Factory { get; }

    public string? RedisPrefix { get; }

    public static async Task<CatalogHost> StartAsync(CatalogMode mode)
    {
        if (mode == CatalogMode.Embedded)
            return new CatalogHost(new ApiFactory(), null, null);
        Assert.True(RealServersConfigured, $"{string.Join(", ", MissingVariables)} not set: run the suite with scripts/test.sh");

        var virtualHost = "catalog-" + Guid.NewGuid().ToString("N")[..8];
        var redisPrefix = $"catalog-{Guid.NewGuid():N}:";
        await CtlAsync("add_vhost", virtualHost);
        await CtlAsync("set_permissions", "-p", virtualHost, "guest", ".*", ".*", ".*");
        var rabbit = new UriBuilder(Environment.GetEnvironmentVariable("GC_TEST_RABBITMQ")!) { Path = "/" + virtualHost }.Uri.ToString();
        var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["Commerce:DatabaseProvider"] = "Postgres",
            ["Commerce:PostgresConnection"] = Environment.GetEnvironmentVariable("GC_TEST_POSTGRES"),
            ["Commerce:DatabasePrefix"] = "cat" + Guid.NewGuid().ToString("N")[..8] + "_",
            ["Commerce:Transport"] = "RabbitMq",
            ["Commerce:RabbitMqUrl"] = rabbit,
            ["Commerce:Streams:Backend"] = "RabbitMqStreams",
            ["Commerce:Catalog:Cache:Store"] = "Redis",
            ["Commerce:Catalog:Cache:RedisConnection"] = Environment.GetEnvironmentVariable("GC_TEST_REDIS"),
            ["Commerce:Catalog:Cache:RedisKeyPrefix"] = redisPrefix,
            ["Commerce:Blobs:Store"] = "Azure",
            ["Commerce:Blobs:AzureConnectionString"] = Environment.GetEnvironmentVariable("GC_TEST_AZURITE"),
        });
        return new CatalogHost(factory, virtualHost, redisPrefix);
    }

    public async ValueTask DisposeAsync()
    {
        await Factory.DisposeAsync();
        if (_virtualHost is null)
            return;
        await CtlAsync("delete_vhost", _virtualHost);
        // This host's pools (a database prefix of its own) would hold their idle connections for minutes: with a host per
        // test they added up to PostgreSQL's connection limit. Idle ones close now; busy ones of other hosts close when returned.
        Npgsql.NpgsqlConnection.ClearAllPools();
    }

    static async Task CtlAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("GC_TEST_RABBITMQ_CTL")!, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
    }
}

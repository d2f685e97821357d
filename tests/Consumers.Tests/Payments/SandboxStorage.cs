using GlobalCommerce.Consumers.Payments;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Tests.Payments;

// A sandbox gateway over a SQLite file of its own, the way the embedded default keeps it; opening the same file
// again is the gateway coming back after a restart.
static class SandboxStorage
{
    public static DbContextOptions<SandboxGatewayDbContext> NewFile()
    {
        var file = Path.Combine(Path.GetTempPath(), "gc-sandbox-gateway-tests", Guid.NewGuid().ToString("N") + ".db");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var builder = new DbContextOptionsBuilder<SandboxGatewayDbContext>();
        DomainDatabases.Configure(builder, DatabaseProvider.Sqlite, $"Data Source={file};Pooling=False");
        using var db = new SandboxGatewayDbContext(builder.Options);
        db.Database.EnsureCreated();
        return builder.Options;
    }

    public static SandboxPaymentGateway Open() => Open(NewFile());

    public static SandboxPaymentGateway Open(DbContextOptions<SandboxGatewayDbContext> storage) => new(storage, TimeProvider.System);
}

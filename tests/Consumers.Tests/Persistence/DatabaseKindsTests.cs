using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Tests.Persistence;

// The message path asks which database a context talks to from its connection's type instead of EF Core's provider
// name (read from assembly metadata on every call): both must give the same answer for every domain context.
public class DatabaseKindsTests
{
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public void A_context_is_known_for_what_EF_Core_says_it_is(DatabaseProvider provider)
    {
        var options = TestDatabases.For(provider);
        var services = new ServiceCollection();
        services.AddDomainDbContext<InventoryDbContext>(options, "inventory");
        using var provided = services.BuildServiceProvider();
        using var scope = provided.CreateScope();
        var database = scope.ServiceProvider.GetRequiredService<InventoryDbContext>().Database;

        Assert.Equal(provider == DatabaseProvider.Postgres, database.UsesPostgres());
        Assert.Equal(provider == DatabaseProvider.Sqlite, database.UsesSqlite());
        Assert.Equal(database.IsNpgsql(), database.UsesPostgres());
        Assert.Equal(database.IsSqlite(), database.UsesSqlite());
        // Asking opens nothing: the context has not touched its database.
        Assert.Equal(System.Data.ConnectionState.Closed, database.GetDbConnection().State);
    }
}

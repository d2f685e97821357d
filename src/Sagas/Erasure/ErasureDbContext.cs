using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Sagas.Erasure;

// erasure_db: the erasure sagas and the requests the API accepted. A database of its own, so that it is created
// whole on hosts whose order_db predates the erasure (schema creation is EnsureCreated, not migrations).
public sealed class ErasureDbContext(DbContextOptions<ErasureDbContext> options) : DbContext(options)
{
    public DbSet<ErasureState> Erasures => Set<ErasureState>();

    public DbSet<ErasureRequest> Requests => Set<ErasureRequest>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddTransactionalOutbox();
        modelBuilder.ApplyConfiguration(new ErasureStateMap());
        modelBuilder.ApplyConfiguration(new ErasureRequestMap());
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.ApplyProviderConventions(Database);
}

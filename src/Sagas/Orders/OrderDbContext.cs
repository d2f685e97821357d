using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;
using GlobalCommerce.Platform.Streams;

namespace GlobalCommerce.Sagas.Orders;

// order_db: the saga rows, their transition history, the orders the API accepted, the faults of their commands and
// the support console's audit log.
public sealed class OrderDbContext(DbContextOptions<OrderDbContext> options) : DbContext(options)
{
    public DbSet<OrderState> Orders => Set<OrderState>();

    public DbSet<OrderTransition> Transitions => Set<OrderTransition>();

    public DbSet<OrderRequest> Requests => Set<OrderRequest>();

    public DbSet<OrderFault> Faults => Set<OrderFault>();

    public DbSet<OrderAuditEntry> Audit => Set<OrderAuditEntry>();

    // Only the orders' mappings: the erasure saga's live in the same assembly but in erasure_db.
    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.AddTransactionalOutbox().AddStreamTables().ApplyConfigurationsFromAssembly(typeof(OrderDbContext).Assembly,
            type => type.Namespace == typeof(OrderDbContext).Namespace);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.ApplyProviderConventions(Database);
}

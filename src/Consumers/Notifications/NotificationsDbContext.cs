using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Notifications;

public sealed class NotificationsDbContext(DbContextOptions<NotificationsDbContext> options) : DbContext(options)
{
    public DbSet<OutboundMessage> OutboundMessages => Set<OutboundMessage>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddTransactionalOutbox();
        modelBuilder.AddStreamTables();
        var message = modelBuilder.Entity<OutboundMessage>();
        message.ToTable("outbound_messages");
        message.HasKey(m => m.Id);
        message.Property(m => m.Id).ValueGeneratedNever();
        // The customer hears about each step of an order once (a vendor about each reorder alert), however often the event is delivered.
        message.HasIndex(m => new { m.SubjectId, m.Kind }).IsUnique();
        message.Property(m => m.Kind).HasMaxLength(64);
        message.Property(m => m.Channel).HasMaxLength(16);
        message.Property(m => m.Recipient).HasMaxLength(320);
        message.Property(m => m.Subject).HasMaxLength(200);
        message.Property(m => m.Body).HasMaxLength(4000);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.ApplyProviderConventions(Database);
}

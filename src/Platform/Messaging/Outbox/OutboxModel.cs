using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Platform.Messaging.Outbox;

public static class OutboxModel
{
    // Every domain database carries its own inbox and outbox, so a handler's state change and the messages it
    // produces commit together.
    public static ModelBuilder AddTransactionalOutbox(this ModelBuilder modelBuilder)
    {
        var inbox = modelBuilder.Entity<InboxState>();
        inbox.ToTable("inbox_state");
        inbox.HasKey(i => i.Id);
        inbox.HasIndex(i => new { i.MessageId, i.ConsumerId }).IsUnique();
        inbox.HasIndex(i => i.Delivered);
        inbox.Property(i => i.Outgoing);

        var busOutbox = modelBuilder.Entity<BusOutboxMessage>();
        busOutbox.ToTable("bus_outbox_message");
        busOutbox.HasKey(m => m.Id);
        busOutbox.Property(m => m.Destination).HasMaxLength(256);
        busOutbox.Property(m => m.TraceParent).HasMaxLength(64);
        return modelBuilder;
    }
}

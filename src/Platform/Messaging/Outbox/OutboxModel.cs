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

        var outbox = modelBuilder.Entity<OutboxMessage>();
        outbox.ToTable("outbox_message");
        outbox.HasKey(m => m.SequenceNumber);
        outbox.HasIndex(m => new { m.InboxMessageId, m.InboxConsumerId, m.SequenceNumber });
        outbox.Property(m => m.ContentType).HasMaxLength(256);
        outbox.Property(m => m.MessageType);
        outbox.Property(m => m.Body);
        outbox.Property(m => m.SourceAddress).HasMaxLength(256);
        outbox.Property(m => m.DestinationAddress).HasMaxLength(256);
        outbox.Property(m => m.ResponseAddress).HasMaxLength(256);
        outbox.Property(m => m.FaultAddress).HasMaxLength(256);

        var busOutbox = modelBuilder.Entity<BusOutboxMessage>();
        busOutbox.ToTable("bus_outbox_message");
        busOutbox.HasKey(m => m.Id);
        busOutbox.Property(m => m.Destination).HasMaxLength(256);
        busOutbox.Property(m => m.TraceParent).HasMaxLength(64);
        return modelBuilder;
    }
}

using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Platform.Streams;

// An event produced inside a transaction, waiting for the relay to put it on its stream. Deleted once the backend has
// confirmed it.
public class StreamOutboxEntry
{
    public long Id { get; set; }

    public Guid EventId { get; set; }

    public required string Stream { get; set; }

    public required string PartitionKey { get; set; }

    public required string MessageType { get; set; }

    public required string Body { get; set; }

    public string? TraceParent { get; set; }

    // Unix milliseconds (raw SQL compares these on both engines).
    public long CreatedAt { get; set; }
}

// The read position of one consumer group on one partition: the next offset to read.
public class StreamCheckpoint
{
    public required string ConsumerGroup { get; set; }

    public required string Stream { get; set; }

    public int Partition { get; set; }

    public long NextOffset { get; set; }

    public long UpdatedAt { get; set; }
}

// Who reads a (group, stream, partition) now, until when (unix ms). Also used for one relay per database
// (ConsumerGroup "$relay").
public class StreamLease
{
    public required string ConsumerGroup { get; set; }

    public required string Stream { get; set; }

    public int Partition { get; set; }

    public required string Owner { get; set; }

    public long ExpiresAt { get; set; }

    // Changes with every ownership claim made through EventHubsCheckpointStore, which hands it out as the ownership's
    // ETag; the engine's own lease statements leave it alone (0 on rows they create).
    public long Version { get; set; }
}

// A host taking part in a consumer group, until when (unix ms): the lease balancer divides the partitions among the
// members that are alive.
public class StreamMember
{
    public required string ConsumerGroup { get; set; }

    public required string Stream { get; set; }

    public required string Owner { get; set; }

    public long ExpiresAt { get; set; }
}

// Events a consumer group has applied, for consumers whose effect is not naturally idempotent (counting): see
// StreamInbox.
public class StreamInboxEntry
{
    public required string ConsumerGroup { get; set; }

    public Guid EventId { get; set; }

    public long ReceivedAt { get; set; }
}

public static class StreamModel
{
    // Every database that produces to or consumes from a stream carries these: its outbox, and the checkpoints, leases
    // and inbox of the consumer groups it backs.
    public static ModelBuilder AddStreamTables(this ModelBuilder modelBuilder)
    {
        var outbox = modelBuilder.Entity<StreamOutboxEntry>();
        outbox.ToTable("stream_outbox");
        outbox.HasKey(e => e.Id);
        outbox.Property(e => e.Stream).HasMaxLength(64);
        outbox.Property(e => e.PartitionKey).HasMaxLength(256);
        outbox.Property(e => e.MessageType).HasMaxLength(256);
        outbox.Property(e => e.TraceParent).HasMaxLength(64);

        var checkpoint = modelBuilder.Entity<StreamCheckpoint>();
        checkpoint.ToTable("stream_checkpoint");
        checkpoint.HasKey(c => new { c.ConsumerGroup, c.Stream, c.Partition });
        checkpoint.Property(c => c.ConsumerGroup).HasMaxLength(64);
        checkpoint.Property(c => c.Stream).HasMaxLength(64);

        var lease = modelBuilder.Entity<StreamLease>();
        lease.ToTable("stream_lease");
        lease.HasKey(l => new { l.ConsumerGroup, l.Stream, l.Partition });
        lease.Property(l => l.ConsumerGroup).HasMaxLength(64);
        lease.Property(l => l.Stream).HasMaxLength(64);
        lease.Property(l => l.Owner).HasMaxLength(128);
        lease.Property(l => l.Version).HasDefaultValue(0L);

        var member = modelBuilder.Entity<StreamMember>();
        member.ToTable("stream_member");
        member.HasKey(m => new { m.ConsumerGroup, m.Stream, m.Owner });
        member.Property(m => m.ConsumerGroup).HasMaxLength(64);
        member.Property(m => m.Stream).HasMaxLength(64);
        member.Property(m => m.Owner).HasMaxLength(128);

        var inbox = modelBuilder.Entity<StreamInboxEntry>();
        inbox.ToTable("stream_inbox");
        inbox.HasKey(i => new { i.ConsumerGroup, i.EventId });
        inbox.Property(i => i.ConsumerGroup).HasMaxLength(64);
        inbox.HasIndex(i => i.ReceivedAt);
        return modelBuilder;
    }
}

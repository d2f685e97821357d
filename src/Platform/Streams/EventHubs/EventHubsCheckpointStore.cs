using System.Globalization;
using Azure.Messaging.EventHubs.Consumer;
using Azure.Messaging.EventHubs.Primitives;
using Azure.Messaging.EventHubs.Processor;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Platform.Streams.EventHubs;

// The SDK processor's ownership and checkpoints, kept in the consuming domain's own database (the stream tables) instead
// of blob storage, for operators who run EventHubsStreamProcessor (the SDK's load balancing) for a consumer group in
// place of the engine's ConsumerGroupRunner. Never both for one group: they would fight over the same lease rows.
//
// An ownership is a stream_lease row (ConsumerGroup, Stream = hub, Partition): Owner is the processor's identifier,
// Version is the ETag (every claim changes it; a claim carrying another ETag changes nothing), and ExpiresAt is the
// claim time + OwnershipExpiration, so it reads as the engine's leases do and the SDK's LastModifiedTime is
// ExpiresAt - OwnershipExpiration. A relinquished ownership (empty owner) expires at once. A checkpoint is a
// stream_checkpoint row whose NextOffset is the sequence number after the last handled event, the engine's meaning too.
// The namespace is not stored: one namespace per deployment.
public sealed class EventHubsCheckpointStore(IServiceScopeFactory scopes, Type databaseContext, TimeProvider clock, TimeSpan? ownershipExpiration = null)
    : CheckpointStore
{
    // The SDK's default; EventHubsStreamProcessor runs with the store's value so both agree on when an owner is gone.
    public TimeSpan OwnershipExpiration { get; } = ownershipExpiration ?? new EventProcessorOptions().PartitionOwnershipExpirationInterval;

    public static EventHubsCheckpointStore For<TDbContext>(IServiceProvider services, TimeSpan? ownershipExpiration = null)
        where TDbContext : DbContext =>
        new(services.GetRequiredService<IServiceScopeFactory>(), typeof(TDbContext), services.GetService<TimeProvider>() ?? TimeProvider.System,
            ownershipExpiration);

    public override async Task<IEnumerable<EventProcessorPartitionOwnership>> ListOwnershipAsync(string fullyQualifiedNamespace, string eventHubName,
        string consumerGroup, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var leases = await Db(scope).Set<StreamLease>().AsNoTracking()
            .Where(l => l.ConsumerGroup == consumerGroup && l.Stream == eventHubName)
            .OrderBy(l => l.Partition)
            .ToListAsync(cancellationToken);
        return leases.Select(l => Ownership(fullyQualifiedNamespace, eventHubName, consumerGroup, l.Partition, l.Owner, l.ExpiresAt, l.Version)).ToList();
    }

    // Each desired ownership is one statement: created when the SDK saw no row (no ETag) and none exists yet, updated
    // when the row still carries the ETag the SDK saw. Anything else is not claimed and is left out of the result.
    public override async Task<IEnumerable<EventProcessorPartitionOwnership>> ClaimOwnershipAsync(
        IEnumerable<EventProcessorPartitionOwnership> desiredOwnership, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(desiredOwnership);
        await using var scope = scopes.CreateAsyncScope();
        var db = Db(scope);
        var claimed = new List<EventProcessorPartitionOwnership>();
        foreach (var desired in desiredOwnership)
        {
            var partition = EventHubsEnvelope.PartitionNumber(desired.PartitionId);
            var owner = desired.OwnerIdentifier ?? "";
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var expiresAt = owner.Length > 0 ? now + (long)OwnershipExpiration.TotalMilliseconds : now;
            long? version;
            if (string.IsNullOrEmpty(desired.Version))
            {
                var rows = await db.Database.ExecuteSqlRawAsync(
                    "INSERT INTO stream_lease (\"ConsumerGroup\", \"Stream\", \"Partition\", \"Owner\", \"ExpiresAt\", \"Version\") " +
                    "VALUES ({0}, {1}, {2}, {3}, {4}, 1) ON CONFLICT (\"ConsumerGroup\", \"Stream\", \"Partition\") DO NOTHING",
                    [desired.ConsumerGroup, desired.EventHubName, partition, owner, expiresAt], cancellationToken);
                version = rows == 1 ? 1 : null;
            }
            else if (long.TryParse(desired.Version, NumberStyles.None, CultureInfo.InvariantCulture, out var expected))
            {
                var versions = await db.Database.SqlQueryRaw<long>(
                        "UPDATE stream_lease SET \"Owner\" = {3}, \"ExpiresAt\" = {4}, \"Version\" = \"Version\" + 1 " +
                        "WHERE \"ConsumerGroup\" = {0} AND \"Stream\" = {1} AND \"Partition\" = {2} AND \"Version\" = {5} RETURNING \"Version\" AS \"Value\"",
                        desired.ConsumerGroup, desired.EventHubName, partition, owner, expiresAt, expected)
                    .ToListAsync(cancellationToken);
                version = versions.Count == 1 ? versions[0] : null;
            }
            else
            {
                version = null;
            }

            if (version is { } current)
                claimed.Add(Ownership(desired.FullyQualifiedNamespace, desired.EventHubName, desired.ConsumerGroup, partition, owner, expiresAt, current));
        }

        return claimed;
    }

    public override async Task<EventProcessorCheckpoint> GetCheckpointAsync(string fullyQualifiedNamespace, string eventHubName, string consumerGroup,
        string partitionId, CancellationToken cancellationToken)
    {
        var partition = EventHubsEnvelope.PartitionNumber(partitionId);
        await using var scope = scopes.CreateAsyncScope();
        var row = await Db(scope).Set<StreamCheckpoint>().AsNoTracking()
            .SingleOrDefaultAsync(c => c.ConsumerGroup == consumerGroup && c.Stream == eventHubName && c.Partition == partition, cancellationToken);
        // The SDK's contract: null when the partition has no checkpoint (it then starts at DefaultStartingPosition).
        return row is null ? null! : Checkpoint(fullyQualifiedNamespace, row);
    }

    public async Task<IReadOnlyList<EventProcessorCheckpoint>> ListCheckpointsAsync(string fullyQualifiedNamespace, string eventHubName, string consumerGroup,
        CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var rows = await Db(scope).Set<StreamCheckpoint>().AsNoTracking()
            .Where(c => c.ConsumerGroup == consumerGroup && c.Stream == eventHubName)
            .OrderBy(c => c.Partition)
            .ToListAsync(cancellationToken);
        return rows.Select(r => Checkpoint(fullyQualifiedNamespace, r)).ToList();
    }

    // Written only while `clientIdentifier` owns the partition (as the engine's checkpoints are): a processor that lost
    // it must not move the position its successor reads from.
    public override async Task UpdateCheckpointAsync(string fullyQualifiedNamespace, string eventHubName, string consumerGroup, string partitionId,
        string clientIdentifier, CheckpointPosition startingPosition, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientIdentifier);
        var partition = EventHubsEnvelope.PartitionNumber(partitionId);
        await using var scope = scopes.CreateAsyncScope();
        if (!await StreamStore.WriteCheckpointAsync(Db(scope), consumerGroup, eventHubName, partition, startingPosition.SequenceNumber + 1, clientIdentifier,
                clock.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken))
            throw new PartitionOwnershipLostException(eventHubName, consumerGroup, partitionId, clientIdentifier);
    }

    // The offset-only form has no owner to check and no sequence number to position by.
    [Obsolete("Superseded in the SDK by the CheckpointPosition overload, which carries the owner")]
    public override Task UpdateCheckpointAsync(string fullyQualifiedNamespace, string eventHubName, string consumerGroup, string partitionId, long offset,
        long? sequenceNumber, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Stream checkpoints are sequence numbers written by their owner: use the CheckpointPosition overload");

    EventProcessorPartitionOwnership Ownership(string fullyQualifiedNamespace, string eventHubName, string consumerGroup, int partition, string owner,
        long expiresAt, long version) =>
        new()
        {
            FullyQualifiedNamespace = fullyQualifiedNamespace,
            EventHubName = eventHubName,
            ConsumerGroup = consumerGroup,
            PartitionId = EventHubsEnvelope.PartitionId(partition),
            OwnerIdentifier = owner,
            LastModifiedTime = DateTimeOffset.FromUnixTimeMilliseconds(expiresAt) - OwnershipExpiration,
            Version = version.ToString(CultureInfo.InvariantCulture),
        };

    static EventProcessorCheckpoint Checkpoint(string fullyQualifiedNamespace, StreamCheckpoint row) =>
        new()
        {
            FullyQualifiedNamespace = fullyQualifiedNamespace,
            EventHubName = row.Stream,
            ConsumerGroup = row.ConsumerGroup,
            PartitionId = EventHubsEnvelope.PartitionId(row.Partition),
            StartingPosition = EventPosition.FromSequenceNumber(row.NextOffset, isInclusive: true),
            LastModified = DateTimeOffset.FromUnixTimeMilliseconds(row.UpdatedAt),
        };

    DbContext Db(AsyncServiceScope scope) => (DbContext)scope.ServiceProvider.GetRequiredService(databaseContext);
}

// The processor tried to checkpoint a partition another processor has claimed since.
public sealed class PartitionOwnershipLostException(string eventHubName, string consumerGroup, string partitionId, string owner)
    : Exception($"{owner} no longer owns partition {partitionId} of '{eventHubName}' for the consumer group {consumerGroup}: the checkpoint was not written");

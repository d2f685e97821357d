using System.Text.Json;
using System.Threading.Channels;
using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Vendors;
using GlobalCommerce.Contracts.Analytics;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Api.Vendors;

// Works through the uploads spooled on this API process, one at a time, a chunk at a time: read ChunkRows rows, check
// them, then in one vendor_db transaction give each accepted row the next version of its SKU, produce its InventoryUpdated
// (inventory-events) and StockLevelReported (analytics-events), store the rejections and move the upload's position. A
// crash loses at most the chunk in hand, which is done again from the same position.
public sealed partial class InventoryUploadProcessor(
    IServiceScopeFactory scopes,
    UploadSpool spool,
    VendorUploadOptions options,
    TimeProvider clock,
    ILogger<InventoryUploadProcessor> logger) : BackgroundService
{
    // Version conflicts (another process bumped a SKU meanwhile) are retried at once with fresh versions.
    const int ConflictRetries = 5;

    readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Wake() => _wake.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        SweepOrphans();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // After a failed attempt the upload waits a poll interval before it is tried again.
                if (await NextAsync(stoppingToken) is { } upload && await ProcessAsync(upload, stoppingToken))
                    continue;
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogLoopFailed(logger, exception);
            }

            using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            poll.CancelAfter(options.PollInterval);
            try
            {
                await _wake.Reader.ReadAsync(poll.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
        }
    }

    // The oldest unfinished upload whose file is on this process's disk (another API process works through its own).
    async Task<InventoryUpload?> NextAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<VendorDbContext>();
        var open = await db.Uploads.AsNoTracking()
            .Where(u => u.Status == UploadStatus.Queued || u.Status == UploadStatus.Processing)
            .OrderBy(u => u.ReceivedAt).Take(100).ToListAsync(cancellationToken);
        return open.FirstOrDefault(u => File.Exists(spool.PathOf(u.Id, u.Format)));
    }

    async Task<bool> ProcessAsync(InventoryUpload upload, CancellationToken cancellationToken)
    {
        var path = spool.PathOf(upload.Id, upload.Format);
        try
        {
            await UpdateAsync(upload.Id, u => u.Status == UploadStatus.Queued, s => s
                .SetProperty(u => u.Status, UploadStatus.Processing).SetProperty(u => u.StartedAt, clock.GetUtcNow()), cancellationToken);
            await using var reader = await UploadRowReader.OpenAsync(path, upload.Format, upload.ProcessedBytes, upload.NextLine, cancellationToken);
            var position = upload.ProcessedBytes;
            while (true)
            {
                var rows = new List<UploadRow>(options.ChunkRows);
                while (rows.Count < options.ChunkRows && await reader.ReadAsync(cancellationToken) is { } row)
                    rows.Add(row);
                if (rows.Count == 0)
                    break;
                await ApplyChunkAsync(upload, rows, position, reader.Position, reader.Line, cancellationToken);
                position = reader.Position;
            }

            await FinishAsync(upload.Id, UploadStatus.Completed, null, cancellationToken);
            LogCompleted(logger, upload.Id);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            var attempts = upload.Attempts + 1;
            LogAttemptFailed(logger, upload.Id, attempts, exception);
            if (attempts < options.MaxAttempts)
            {
                await UpdateAsync(upload.Id, _ => true, s => s.SetProperty(u => u.Attempts, attempts), cancellationToken);
                return false;
            }

            await FinishAsync(upload.Id, UploadStatus.Failed, "Processing failed repeatedly; upload the file again.", cancellationToken);
        }

        spool.Delete(path);
        return true;
    }

    async Task ApplyChunkAsync(InventoryUpload upload, IReadOnlyList<UploadRow> rows, long from, long to, int nextLine, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var scope = scopes.CreateAsyncScope();
            var services = scope.ServiceProvider;
            var db = services.GetRequiredService<VendorDbContext>();
            try
            {
                await ApplyChunkAsync(services, db, upload, rows, from, to, nextLine, cancellationToken);
                return;
            }
            catch (DbUpdateException) when (attempt < ConflictRetries)
            {
                LogChunkConflict(logger, upload.Id, from);
            }
        }
    }

    async Task ApplyChunkAsync(IServiceProvider services, VendorDbContext db, InventoryUpload upload, IReadOnlyList<UploadRow> rows,
        long from, long to, int nextLine, CancellationToken ct)
    {
        var skus = rows.Where(r => r.Sku is not null).Select(r => r.Sku!).Distinct().ToList();
        var catalog = await services.GetRequiredService<CatalogDbContext>().Products.AsNoTracking()
            .Where(p => skus.Contains(p.Sku))
            .ToDictionaryAsync(p => p.Sku, p => new CatalogEntry(p.Id, p.VendorId, p.Currency), StringComparer.Ordinal, ct);
        var keys = UploadValidation.KeysOf(rows);
        var earlier = await db.UploadKeys.AsNoTracking().Where(k => k.UploadId == upload.Id && keys.Contains(k.Key))
            .ToDictionaryAsync(k => k.Key, k => k.Line, StringComparer.Ordinal, ct);
        var verdict = UploadValidation.Check(upload.Id, upload.VendorId, rows, catalog, earlier);
        var now = clock.GetUtcNow();

        using var turn = await SqliteWriteGate.EnterAsync(db, ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // First the position, guarded by the old one: the write takes SQLite's lock before anything is read, and a chunk
        // some other pass already committed is not applied twice.
        var moved = await db.Uploads.Where(u => u.Id == upload.Id && u.ProcessedBytes == from && u.Status == UploadStatus.Processing)
            .ExecuteUpdateAsync(s => s
                .SetProperty(u => u.ProcessedBytes, to)
                .SetProperty(u => u.NextLine, nextLine)
                .SetProperty(u => u.RowsRead, u => u.RowsRead + rows.Count)
                .SetProperty(u => u.Accepted, u => u.Accepted + verdict.Accepted.Count)
                .SetProperty(u => u.Rejected, u => u.Rejected + verdict.Rejected.Count), ct);
        if (moved != 1)
            throw new InvalidOperationException($"Upload {upload.Id} is no longer at byte {from}");

        var acceptedSkus = verdict.Accepted.Select(r => r.Sku).Distinct().ToList();
        var versions = await db.SkuVersions.Where(v => acceptedSkus.Contains(v.Sku)).ToDictionaryAsync(v => v.Sku, StringComparer.Ordinal, ct);
        var streams = services.GetRequiredService<IStreamTransaction>();
        var updates = services.GetRequiredService<ITopicProducer<InventoryUpdated>>();
        var analytics = services.GetRequiredService<ITopicProducer<StockLevelReported>>();
        streams.Enlist(db);
        foreach (var row in verdict.Accepted)
        {
            if (!versions.TryGetValue(row.Sku, out var counter))
                versions[row.Sku] = counter = db.SkuVersions.Add(new SkuVersion { Sku = row.Sku }).Entity;
            counter.Version++;
            var update = new InventoryUpdated
            {
                VendorId = upload.VendorId,
                UploadId = upload.Id,
                Line = row.Line,
                ProductId = row.ProductId,
                Sku = row.Sku,
                Warehouse = row.Warehouse,
                Quantity = row.Quantity,
                Price = row.Price,
                Currency = row.Currency,
                ReorderPoint = row.ReorderPoint,
                Version = counter.Version,
                OccurredAt = now,
            };
            await updates.Produce(update, row.Sku, ct);
            await analytics.Produce(Reported(update), row.Sku, ct);
        }

        await InsertKeysAsync(db, upload.Id, verdict.NewKeys, ct);
        db.UploadRejections.AddRange(verdict.Rejected);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
    }

    // The same row as seen by analytics-events.
    static StockLevelReported Reported(InventoryUpdated update) => new()
    {
        VendorId = update.VendorId,
        UploadId = update.UploadId,
        ProductId = update.ProductId,
        Sku = update.Sku,
        Warehouse = update.Warehouse,
        Quantity = update.Quantity,
        Price = update.Price,
        Currency = update.Currency,
        ReorderPoint = update.ReorderPoint,
        Version = update.Version,
        OccurredAt = update.OccurredAt,
    };

    // A chunk's keys with one statement whose text does not depend on their number, not as tracked entities.
    static Task InsertKeysAsync(VendorDbContext db, Guid uploadId, IReadOnlyList<UploadKey> keys, CancellationToken ct)
    {
        if (keys.Count == 0)
            return Task.CompletedTask;
        return db.Database.UsesPostgres()
            ? db.Database.ExecuteSqlRawAsync("""
                INSERT INTO upload_keys ("UploadId", "Key", "Line") SELECT {0}, k, l FROM unnest({1}, {2}) AS r(k, l)
                """, [uploadId, keys.Select(k => k.Key).ToArray(), keys.Select(k => k.Line).ToArray()], ct)
            : db.Database.ExecuteSqlRawAsync("""
                INSERT INTO upload_keys ("UploadId", "Key", "Line") SELECT {0}, value ->> 0, value ->> 1 FROM json_each({1})
                """, [SqliteValues.Guid(uploadId), JsonSerializer.Serialize(keys.Select(k => new object[] { k.Key, k.Line }))], ct);
    }

    async Task FinishAsync(Guid uploadId, UploadStatus status, string? reason, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<VendorDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Uploads.Where(u => u.Id == uploadId).ExecuteUpdateAsync(s => s
            .SetProperty(u => u.Status, status).SetProperty(u => u.FailureReason, reason).SetProperty(u => u.CompletedAt, clock.GetUtcNow()), cancellationToken);
        // The duplicate check is done with; the report keeps the rejections.
        await db.UploadKeys.Where(k => k.UploadId == uploadId).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    async Task UpdateAsync(Guid uploadId, System.Linq.Expressions.Expression<Func<InventoryUpload, bool>> condition,
        Action<Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<InventoryUpload>> set, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<VendorDbContext>();
        await db.Uploads.Where(u => u.Id == uploadId).Where(condition).ExecuteUpdateAsync(set, cancellationToken);
    }

    // Files whose upload was never stored (the process stopped between spooling and queueing) or has ended.
    void SweepOrphans()
    {
        try
        {
            if (!Directory.Exists(spool.Directory))
                return;
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<VendorDbContext>();
            var cutoff = clock.GetUtcNow().UtcDateTime - TimeSpan.FromHours(1);
            foreach (var file in Directory.EnumerateFiles(spool.Directory))
            {
                if (!Guid.TryParseExact(Path.GetFileNameWithoutExtension(file), "N", out var id) || File.GetLastWriteTimeUtc(file) > cutoff)
                    continue;
                if (!db.Uploads.Any(u => u.Id == id && (u.Status == UploadStatus.Queued || u.Status == UploadStatus.Processing)))
                    spool.Delete(file);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or DbUpdateException or InvalidOperationException)
        {
            LogLoopFailed(logger, exception);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Inventory upload {UploadId} completed")]
    static partial void LogCompleted(ILogger logger, Guid uploadId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inventory upload {UploadId}: attempt {Attempt} failed; it resumes after its last committed chunk")]
    static partial void LogAttemptFailed(ILogger logger, Guid uploadId, int attempt, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Inventory upload {UploadId}: chunk at byte {Position} met a concurrent update; retrying")]
    static partial void LogChunkConflict(ILogger logger, Guid uploadId, long position);

    [LoggerMessage(Level = LogLevel.Error, Message = "The inventory upload processor failed; it tries again shortly")]
    static partial void LogLoopFailed(ILogger logger, Exception exception);
}

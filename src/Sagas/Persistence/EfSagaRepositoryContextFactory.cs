using System.Data;
using GlobalCommerce.Platform.Persistence;
using MassTransit;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace GlobalCommerce.Sagas.Persistence;

// One instance per message scope (registered scoped), so every delivery attempt gets a fresh DbContext.
// The whole handling of a message — load, state machine, save — runs in one database transaction.
public sealed class EfSagaRepositoryContextFactory<TSaga, TDbContext>(
    TDbContext dbContext,
    ISagaConsumeContextFactory<DbContext, TSaga> consumeContextFactory,
    EfSagaRepositoryOptions<TSaga> options)
    : ISagaRepositoryContextFactory<TSaga>, ILoadSagaRepositoryContextFactory<TSaga>, IQuerySagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISagaVersion
    where TDbContext : DbContext
{
    public void Probe(ProbeContext context)
    {
        context.Add("persistence", "entity-framework");
        context.Add("lockMode", options.LockMode.ToString());
    }

    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next)
        where T : class
    {
        // Under the outbox the saga's writes ride on the message's one SaveChanges, with the inbox row's.
        var deferSaves = dbContext.Database.CurrentTransaction is not null;
        await WithinTransaction(async () =>
        {
            using var repositoryContext = new EfSagaRepositoryContext<TSaga, T>(dbContext, context, consumeContextFactory, LockStatement(), deferSaves);
            await next.Send(repositoryContext);
        }, context.CancellationToken);
    }

    public async Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class
    {
        await WithinTransaction(async () =>
        {
            var ids = await dbContext.Set<TSaga>().AsNoTracking().Where(query.FilterExpression)
                .Select(saga => saga.CorrelationId).ToListAsync(context.CancellationToken);
            using var repositoryContext = new EfSagaRepositoryContext<TSaga, T>(dbContext, context, consumeContextFactory, LockStatement(), false);
            await next.Send(new DefaultSagaRepositoryQueryContext<TSaga, T>(repositoryContext, ids));
        }, context.CancellationToken);
    }

    public Task<T> Execute<T>(Func<LoadSagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken)
        where T : class =>
        asyncMethod(new EfReadSagaRepositoryContext<TSaga>(dbContext, cancellationToken));

    public Task<T> Execute<T>(Func<QuerySagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken)
        where T : class =>
        asyncMethod(new EfReadSagaRepositoryContext<TSaga>(dbContext, cancellationToken));

    async Task WithinTransaction(Func<Task> work, CancellationToken cancellationToken)
    {
        // Under the transactional outbox the message's transaction is already open (and holds its inbox row):
        // the saga's load and save join it, so state and outgoing messages commit together.
        if (dbContext.Database.CurrentTransaction is not null)
        {
            await work();
            return;
        }

        // A retry may reuse this scope's DbContext; nothing from a failed attempt may leak into the next.
        dbContext.ChangeTracker.Clear();
        await using var transaction = await dbContext.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        try
        {
            await work();
            await transaction.CommitAsync(cancellationToken);
        }
        catch
        {
            await RollbackQuietly(transaction.RollbackAsync);
            dbContext.ChangeTracker.Clear();
            throw;
        }
    }

    static async Task RollbackQuietly(Func<CancellationToken, Task> rollback)
    {
        try
        {
            await rollback(CancellationToken.None);
        }
#pragma warning disable CA1031 // the original failure is what the caller must see, not a rollback on a broken connection
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    string? LockStatement()
    {
        if (options.LockMode != SagaLockMode.Pessimistic || !dbContext.Database.UsesPostgres())
            return null;
        return options.LockStatement ??= BuildLockStatement(dbContext.Model.FindEntityType(typeof(TSaga))!);
    }

    static string BuildLockStatement(IEntityType entity)
    {
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var key = entity.FindProperty(nameof(ISaga.CorrelationId))!.GetColumnName(table);
        var qualified = table.Schema is null ? $"\"{table.Name}\"" : $"\"{table.Schema}\".\"{table.Name}\"";
        // Loads and locks in one statement.
        return $"SELECT * FROM {qualified} WHERE \"{key}\" = {{0}} FOR UPDATE";
    }
}

public sealed class EfSagaRepositoryOptions<TSaga>(SagaLockMode lockMode)
    where TSaga : class, ISaga
{
    public SagaLockMode LockMode { get; } = lockMode;

    internal string? LockStatement { get; set; }
}

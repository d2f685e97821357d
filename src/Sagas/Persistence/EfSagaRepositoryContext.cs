using MassTransit;
using MassTransit.Context;
using MassTransit.Middleware;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Sagas.Persistence;

// What the state machine calls while handling one message; the surrounding transaction belongs to the factory.
public sealed class EfSagaRepositoryContext<TSaga, TMessage> : ConsumeContextScope<TMessage>, SagaRepositoryContext<TSaga, TMessage>, IDisposable
    where TSaga : class, ISagaVersion
    where TMessage : class
{
    readonly DbContext dbContext;
    readonly ConsumeContext<TMessage> consumeContext;
    readonly ISagaConsumeContextFactory<DbContext, TSaga> factory;
    readonly string? lockStatement;
    readonly bool deferSaves;
    readonly SemaphoreSlim _inUse = new(1);

    public EfSagaRepositoryContext(DbContext dbContext, ConsumeContext<TMessage> consumeContext,
        ISagaConsumeContextFactory<DbContext, TSaga> factory, string? lockStatement, bool deferSaves)
        : base(consumeContext, dbContext)
    {
        this.deferSaves = deferSaves;
        this.dbContext = dbContext;
        this.consumeContext = consumeContext;
        this.factory = factory;
        this.lockStatement = lockStatement;
    }

    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance) =>
        factory.CreateSagaConsumeContext(dbContext, consumeContext, instance, SagaConsumeContextMode.Add);

    public async Task<SagaConsumeContext<TSaga, TMessage>> Insert(TSaga instance)
    {
        var entry = dbContext.Set<TSaga>().Add(instance);
        try
        {
            await dbContext.SaveChangesAsync(CancellationToken);
        }
        catch (DbUpdateException)
        {
            // Someone else created it first: not ours to insert; the caller then loads the existing row.
            entry.State = EntityState.Detached;
            return null!;
        }

        return await factory.CreateSagaConsumeContext(dbContext, consumeContext, instance, SagaConsumeContextMode.Insert);
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>> Load(Guid correlationId)
    {
        var instance = lockStatement is null
            ? await dbContext.Set<TSaga>().SingleOrDefaultAsync(saga => saga.CorrelationId == correlationId, CancellationToken)
            : (await dbContext.Set<TSaga>().FromSqlRaw(lockStatement, correlationId).ToListAsync(CancellationToken)).SingleOrDefault();
        if (instance is null)
            return null!;

        return await factory.CreateSagaConsumeContext(dbContext, consumeContext, instance, SagaConsumeContextMode.Load);
    }

    public Task Save(SagaConsumeContext<TSaga> context) => Exclusive(async () =>
    {
        context.Saga.Version = 1;
        dbContext.Set<TSaga>().Add(context.Saga);
        await SaveAsync();
    });

    public Task Update(SagaConsumeContext<TSaga> context) => Exclusive(async () =>
    {
        // The version is the optimistic concurrency token: EF updates WHERE Version = <loaded value>.
        context.Saga.Version++;
        await SaveAsync();
    });

    public Task Delete(SagaConsumeContext<TSaga> context) => Exclusive(async () =>
    {
        dbContext.Set<TSaga>().Remove(context.Saga);
        await SaveAsync();
    });

    public Task Discard(SagaConsumeContext<TSaga> context) => Task.CompletedTask;

    public Task Undo(SagaConsumeContext<TSaga> context) => Exclusive(() =>
    {
        foreach (var entry in dbContext.ChangeTracker.Entries().ToList())
            entry.State = entry.State == EntityState.Added ? EntityState.Detached : EntityState.Unchanged;
        return Task.CompletedTask;
    });

    public Task<SagaConsumeContext<TSaga, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> context, TSaga instance, SagaConsumeContextMode mode)
        where T : class =>
        factory.CreateSagaConsumeContext(dbContext, context, instance, mode);

    public void Dispose() => _inUse.Dispose();

    // Deferred under the outbox: its SaveChanges writes the saga row and the inbox row in one batch, and a lost
    // update (the version check) still fails the whole message there.
    Task SaveAsync() => deferSaves ? Task.CompletedTask : dbContext.SaveChangesAsync(CancellationToken);

    async Task Exclusive(Func<Task> action)
    {
        await _inUse.WaitAsync(CancellationToken);
        try
        {
            await action();
        }
        finally
        {
            _inUse.Release();
        }
    }
}

// Read-only access for load/query outside a message (tests, support tooling).
public sealed class EfReadSagaRepositoryContext<TSaga>(DbContext dbContext, CancellationToken cancellationToken)
    : BasePipeContext(cancellationToken), LoadSagaRepositoryContext<TSaga>, QuerySagaRepositoryContext<TSaga>
    where TSaga : class, ISaga
{
    public Task<TSaga> Load(Guid correlationId) =>
        dbContext.Set<TSaga>().AsNoTracking().SingleOrDefaultAsync(saga => saga.CorrelationId == correlationId, CancellationToken)!;

    public async Task<SagaRepositoryQueryContext<TSaga>> Query(ISagaQuery<TSaga> query, CancellationToken cancellationToken)
    {
        var ids = await dbContext.Set<TSaga>().AsNoTracking().Where(query.FilterExpression)
            .Select(saga => saga.CorrelationId).ToListAsync(cancellationToken);
        return new DefaultSagaRepositoryQueryContext<TSaga>(this, ids);
    }
}

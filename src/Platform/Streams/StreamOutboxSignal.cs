using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace GlobalCommerce.Platform.Streams;

// Wakes the relay of a database as soon as a transaction that wrote to its stream outbox commits, so events leave
// within milliseconds without the relay polling hard. A relay in another process (or a missed wake-up) falls back to
// StreamOptions.RelayPollInterval.
public sealed class StreamOutboxSignal : SaveChangesInterceptor, IDbTransactionInterceptor
{
    public static readonly StreamOutboxSignal Instance = new();

    static readonly ConcurrentDictionary<Type, SemaphoreSlim> Wakeups = new();
    static readonly ConditionalWeakTable<DbContext, object> Pending = new();

    public static SemaphoreSlim WakeupOf(Type contextType) => Wakeups.GetOrAdd(contextType, _ => new SemaphoreSlim(0, 1));

    public static void Wake(Type contextType)
    {
        var wakeup = WakeupOf(contextType);
        try
        {
            if (wakeup.CurrentCount == 0)
                wakeup.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already awake.
        }
    }

    // Rows produced in the open transaction are written before the context's own changes (StreamOutboxRows).
    public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } context)
            await StreamOutboxRows.FlushAsync(context, cancellationToken);
        return result;
    }

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        if (eventData.Context is { } context)
            StreamOutboxRows.Flush(context);
        return result;
    }

    // ... and the ones produced after the last save, just before the commit.
    public async ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData,
        InterceptionResult result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } context)
            await StreamOutboxRows.FlushAsync(context, cancellationToken);
        return result;
    }

    public InterceptionResult TransactionCommitting(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result)
    {
        if (eventData.Context is { } context)
            StreamOutboxRows.Flush(context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        AfterSave(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        AfterSave(eventData.Context);
        return result;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Committed(eventData.Context);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Committed(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (eventData.Context is { } context)
        {
            Pending.Remove(context);
            StreamOutboxRows.Forget(context);
        }
    }

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionRolledBack(transaction, eventData);
        return Task.CompletedTask;
    }

    // Called by the producer as it adds a row to the context's stream outbox (the only writer of that table), so no
    // SaveChanges has to scan the change tracker for one.
    public static void Noted(DbContext context) => Pending.AddOrUpdate(context, context);

    // For a context whose transaction another context commits (a message's part of a shared commit): whether it wrote
    // stream rows the relay must be woken for once that commit is done; the context forgets them either way.
    public static bool TakePending(DbContext context)
    {
        StreamOutboxRows.Forget(context);
        return Pending.Remove(context);
    }

    static void AfterSave(DbContext? context)
    {
        if (context is not null && context.Database.CurrentTransaction is null)
            Committed(context);
    }

    static void Committed(DbContext? context)
    {
        if (context is not null)
            StreamOutboxRows.Forget(context);
        if (context is not null && Pending.Remove(context))
            Wake(context.GetType());
    }
}

using System.Data;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Platform.Messaging.Outbox;

// For a handler that must call the outside world (a payment gateway): no transaction, and so no lock, may stay open
// across a call that can hang for seconds. On SQLite the consume outbox's transaction holds the file's only write
// lock, so one hanging call would stall every other handler of the database.
//
// What the handler has saved so far (its record of the attempt, and the inbox row) is committed first; the call runs
// with no transaction open; then a new transaction is opened, in which the handler records the outcome and
// publishes, and which EfOutboxContextFactory commits together with the inbox's "consumed" mark. A crash during the
// call leaves the message unconsumed, so its redelivery runs the handler again: the call must be idempotent (the
// gateway's idempotency key), and the outcome must be recorded under an optimistic-concurrency check, since the
// inbox row is not locked while the call runs (a concurrent duplicate may be running the same call).
public static class OutsideTransaction
{
    public static async Task<T> CallOutsideTransactionAsync<T>(this DbContext db, Func<CancellationToken, Task<T>> call,
        CancellationToken cancellationToken)
    {
        // A shared commit's transaction is not this message's to commit early (OutboxRegistration: endpoints whose
        // handlers call the outside world do not share commits).
        if (SharedCommitScope.Active)
            throw new InvalidOperationException("A handler that calls the outside world cannot run in a shared commit");
        await db.SaveChangesAsync(cancellationToken);
        if (db.Database.CurrentTransaction is not { } ambient)
            return await call(cancellationToken);

        await ambient.CommitAsync(cancellationToken);
        await ambient.DisposeAsync();
        try
        {
            return await call(cancellationToken);
        }
        finally
        {
            // Reopened even when the call failed (a timeout is an outcome to record too).
            await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        }
    }
}

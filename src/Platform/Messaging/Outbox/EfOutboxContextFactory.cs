using System.Data;
using MassTransit;
using MassTransit.Middleware;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Platform.Messaging.Outbox;

// Resolved per message scope, so it shares the handler's DbContext. Each pass of MassTransit's outbox pipe
// (consume, then deliver, then clean up) runs in one transaction that holds the inbox row locked.
public sealed class EfOutboxContextFactory<TDbContext>(TDbContext db, IServiceProvider provider, TimeProvider clock)
    : IOutboxContextFactory<TDbContext>
    where TDbContext : DbContext
{
    public async Task Send<T>(ConsumeContext<T> context, OutboxConsumeOptions options, IPipe<OutboxConsumeContext<T>> next)
        where T : class
    {
        var messageId = context.GetOriginalMessageId() ?? throw new MessageException(typeof(T), "The outbox needs a MessageId");
        var firstPass = true;
        var continueProcessing = true;
        while (continueProcessing)
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken);
            try
            {
                var inbox = await LockInboxAsync(messageId, options.ConsumerId, context.CancellationToken);
                if (firstPass)
                    inbox.ReceiveCount++;
                firstPass = false;

                var outboxContext = new EfOutboxConsumeContext<T>(context, options, provider, db, inbox, clock);
                await next.Send(outboxContext);
                await db.SaveChangesAsync(context.CancellationToken);
                await CommitCurrentAsync(transaction, context.CancellationToken);
                continueProcessing = outboxContext.ContinueProcessing && !outboxContext.IsOutboxDelivered;
            }
            catch
            {
                await RollbackQuietly(db.Database.CurrentTransaction ?? transaction);
                db.ChangeTracker.Clear();
                throw;
            }
        }
    }

    // A handler that called the outside world (OutsideTransaction) committed the pass's first transaction early and
    // left a second one open for its outcome: that one is the pass's to commit.
    async Task CommitCurrentAsync(Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction first, CancellationToken cancellationToken)
    {
        var current = db.Database.CurrentTransaction ?? first;
        await current.CommitAsync(cancellationToken);
        if (current != first)
            await current.DisposeAsync();
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("entityFrameworkOutbox");

    // PostgreSQL: insert-if-absent, then lock the row, so concurrent deliveries of one message queue behind each other.
    // SQLite: the transaction already holds the database's write lock.
    async Task<InboxState> LockInboxAsync(Guid messageId, Guid consumerId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlRawAsync(
                "INSERT INTO inbox_state (\"MessageId\", \"ConsumerId\", \"Received\", \"ReceiveCount\") VALUES ({0}, {1}, {2}, 0) " +
                "ON CONFLICT (\"MessageId\", \"ConsumerId\") DO NOTHING",
                [messageId, consumerId, now], cancellationToken);
            var locked = await db.Set<InboxState>()
                .FromSqlRaw("SELECT * FROM inbox_state WHERE \"MessageId\" = {0} AND \"ConsumerId\" = {1} FOR UPDATE", messageId, consumerId)
                .ToListAsync(cancellationToken);
            return locked.Single();
        }

        var inbox = await db.Set<InboxState>().SingleOrDefaultAsync(i => i.MessageId == messageId && i.ConsumerId == consumerId, cancellationToken);
        if (inbox is not null)
            return inbox;
        inbox = new InboxState { MessageId = messageId, ConsumerId = consumerId, Received = now };
        db.Set<InboxState>().Add(inbox);
        await db.SaveChangesAsync(cancellationToken);
        return inbox;
    }

    static async Task RollbackQuietly(Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction transaction)
    {
        try
        {
            await transaction.RollbackAsync(CancellationToken.None);
        }
#pragma warning disable CA1031 // the handler's failure is what must surface, not a rollback on a broken connection
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}

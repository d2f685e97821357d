using System.Data;
using GlobalCommerce.Platform.Persistence;
using MassTransit;
using MassTransit.Middleware;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Platform.Messaging.Outbox;

// Resolved per message scope, so it shares the handler's DbContext. One message costs one transaction:
//   1. claim the inbox row (one statement that inserts it or, for a redelivery, locks it and counts the receive); a
//      first delivery skips this and inserts the row with the commit instead (IsFirstDelivery);
//   2. run the handler; its sends and publishes are captured in memory;
//   3. store them in the inbox row with the "consumed" mark, save the handler's changes, commit;
//   4. with no transaction open, send them from memory and only then let the message be acknowledged;
//   5. the "delivered" mark is written later, in batches, by OutboxMarks (on the in-memory transport only once every
//      receiver has committed the message, since a crash would lose whatever the in-memory queues held).
// On an endpoint that shares commits (SharedCommit, on PostgreSQL), the first deliveries in hand at once go through 1-3
// one after the other on one transaction, committed once, and each then goes on with 4 as alone.
// Crash windows: before 3 → the broker redelivers, nothing was written. Between 3 and 4 → the redelivery finds the row
// consumed and sends the stored messages (same MessageIds). Between 4 and 5 → InboxRedelivery re-sends the row after a
// grace period and the receivers' inboxes drop the copies.
public sealed class EfOutboxContextFactory<TDbContext>(IServiceProvider provider, OutboxDelivery<TDbContext> delivery,
    OutboxRoles<TDbContext> roles, OutboxOptions outboxOptions, SharedCommit<TDbContext> sharedCommit, TimeProvider clock)
    : IOutboxContextFactory<TDbContext>
    where TDbContext : DbContext
{
    public async Task Send<T>(ConsumeContext<T> context, OutboxConsumeOptions options, IPipe<OutboxConsumeContext<T>> next)
        where T : class
    {
        var messageId = context.GetOriginalMessageId() ?? throw new MessageException(typeof(T), "The outbox needs a MessageId");
        InboxState inbox;
        List<OutboxMessage> outgoing;
        if (SharesCommit(context))
        {
            // Its handling joins the batch in hand (SharedCommit), which commits it with the others; a first delivery, so
            // its inbox row is inserted with it as below.
            (inbox, outgoing) = (null!, null!);
            await sharedCommit.RunAsync(provider, async db =>
            {
                (inbox, outgoing) = await HandleFirstDeliveryAsync(db, context, options, next, messageId);
            }, context.CancellationToken);
        }
        else
        {
            (inbox, outgoing) = await HandleAloneAsync(provider.GetRequiredService<TDbContext>(), context, options, next, messageId);
        }

        if (outgoing.Count == 0)
            return;

        OutboxFaultInjection.Reached(OutboxCrashPoint.AfterCommit);
        var deliver = new EfOutboxDeliverContext<T>(context, options, provider, inbox, outgoing, delivery, clock);
        try
        {
            await next.Send(deliver);
        }
        catch
        {
            // Not sent (broker down, cancelled): the redelivery of this message sends the stored copy.
            delivery.Abandon(inbox.Id);
            throw;
        }
    }

    // Only first attempts share: a retry (after its batch failed, or its own handler did) runs alone.
    bool SharesCommit(ConsumeContext context) =>
        outboxOptions.ShareCommits && roles.SharesCommits && IsFirstDelivery(context)
        && roles.SharesCommitsOn(context.ReceiveContext.InputAddress) && sharedCommit.Applies;

    async Task<(InboxState, List<OutboxMessage>)> HandleFirstDeliveryAsync<T>(TDbContext db, ConsumeContext<T> context,
        OutboxConsumeOptions options, IPipe<OutboxConsumeContext<T>> next, Guid messageId)
        where T : class
    {
        Prepare(db);
        // A sharing endpoint's handlers call nothing outside: the row waits for the commit's SaveChanges (NewInbox).
        var inbox = NewInbox(db, messageId, options.ConsumerId, insertAfterHandler: true);
        var outgoing = await RunHandlerAsync(db, context, options, next, inbox);
        return (inbox, outgoing);
    }

    async Task<(InboxState, List<OutboxMessage>)> HandleAloneAsync<T>(TDbContext db, ConsumeContext<T> context,
        OutboxConsumeOptions options, IPipe<OutboxConsumeContext<T>> next, Guid messageId)
        where T : class
    {
        db.ChangeTracker.Clear();
        Prepare(db);
        InboxState inbox;
        List<OutboxMessage> outgoing;
        var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken);
        try
        {
            inbox = IsFirstDelivery(context)
                ? NewInbox(db, messageId, options.ConsumerId, insertAfterHandler: roles.SharesCommitsOn(context.ReceiveContext.InputAddress))
                : await ClaimInboxAsync(db, messageId, options.ConsumerId, context.CancellationToken);
            if (inbox.Consumed is null)
            {
                outgoing = await RunHandlerAsync(db, context, options, next, inbox);
            }
            else
            {
                // A copy of a message whose messages this process is still delivering adds nothing: only a row left
                // behind (a crash, a failed send) is sent again from what was stored.
                outgoing = inbox.Delivered is null && !delivery.IsInFlight(inbox.Id) ? OutgoingMessages.Read(inbox.Outgoing) : [];
            }

            // A handler that called the outside world (OutsideTransaction) committed the first transaction early and
            // left a second one open for its outcome: that one is committed here.
            var current = db.Database.CurrentTransaction ?? transaction;
            await current.CommitAsync(context.CancellationToken);
            if (current != transaction)
                await DisposeAsync(current);
        }
        catch
        {
            await RollbackQuietly(db.Database.CurrentTransaction ?? transaction);
            db.ChangeTracker.Clear();
            throw;
        }
        finally
        {
            await DisposeAsync(transaction);
        }

        return (inbox, outgoing);
    }

    void Prepare(TDbContext db)
    {
        // Savepoints around every SaveChanges are round trips this transaction does not need: a failed statement fails
        // the whole message, which is rolled back and retried as one.
        db.Database.AutoSavepointsEnabled = false;
        // Events the handler produces onto a stream join this transaction (the stream outbox), if the database has one.
        if (HasStreamOutbox(db))
            provider.GetService<Streams.IStreamTransaction>()?.Enlist(db);
    }

    // Runs the handler and saves what it did with the inbox row (Consumed, and Outgoing unless it sent nothing).
    async Task<List<OutboxMessage>> RunHandlerAsync<T>(TDbContext db, ConsumeContext<T> context, OutboxConsumeOptions options,
        IPipe<OutboxConsumeContext<T>> next, InboxState inbox)
        where T : class
    {
        var consume = new EfOutboxConsumeContext<T>(context, options, provider, inbox, clock);
        await next.Send(consume);
        // A first delivery's row is not tracked yet (NewInbox), and a handler or the saga repository may have detached
        // what it tracked (a cleared tracker, an undone insert): the inbox row is saved with this commit either way.
        if (db.Entry(inbox).State == EntityState.Detached)
        {
            if (inbox.Id == 0)
                db.Add(inbox);
            else
                db.Update(inbox);
        }

        await db.SaveChangesAsync(context.CancellationToken);
        return consume.Outgoing;
    }

    // A message the broker delivers for the first time, on the first attempt, is almost never a copy: its inbox row is
    // inserted with the commit (one statement in the SaveChanges batch) instead of claimed first (a round trip of its
    // own). A copy that comes this way after all (the sweep re-sent it, or a sender sent it twice) conflicts on the row's
    // unique key at the commit: the whole attempt rolls back, and the retry claims the row and finds it consumed. Its
    // handler ran for nothing, inside a transaction that was rolled back; handlers are idempotent for that reason already
    // (a redelivery after a crash runs them again too).
    static bool IsFirstDelivery(ConsumeContext context) =>
        !context.ReceiveContext.Redelivered && context.GetRetryAttempt() == 0 && context.GetRedeliveryCount() == 0;

    // A handler that saves its own changes before it is done (a reservation, an assessment, a shipment) would insert a
    // row tracked from the start right then, and the commit's SaveChanges would update it again (Consumed, Outgoing): a
    // statement and a round trip more per message. Tracked only after the handler ran (RunHandlerAsync attaches it), the
    // row is inserted once, complete, with the commit; a copy still conflicts on its key before the commit. Handlers that
    // call the outside world (OutsideTransaction: the payment gateway) commit their first part early, and their row is
    // tracked from the start so that it goes with that first commit.
    InboxState NewInbox(TDbContext db, Guid messageId, Guid consumerId, bool insertAfterHandler)
    {
        var inbox = new InboxState { MessageId = messageId, ConsumerId = consumerId, Received = clock.GetUtcNow(), ReceiveCount = 1 };
        if (!insertAfterHandler)
            db.Add(inbox);
        return inbox;
    }

    static bool HasStreamOutbox(DbContext context) => context.Model.FindEntityType(typeof(Streams.StreamOutboxEntry)) is not null;

    public void Probe(ProbeContext context) => context.CreateFilterScope("entityFrameworkOutbox");

    // One statement: a first delivery inserts the row, a redelivery counts itself and takes the row's lock (PostgreSQL
    // locks the conflicting row; SQLite's transaction already holds the file's write lock), so concurrent copies of one
    // message queue behind each other.
    async Task<InboxState> ClaimInboxAsync(TDbContext db, Guid messageId, Guid consumerId, CancellationToken cancellationToken)
    {
        object received = db.Database.UsesSqlite() ? SqliteTime.ToStored(clock.GetUtcNow()) : clock.GetUtcNow();
        var rows = await db.Set<InboxState>()
            .FromSqlRaw(
                "INSERT INTO inbox_state (\"MessageId\", \"ConsumerId\", \"Received\", \"ReceiveCount\") VALUES ({0}, {1}, {2}, 1) " +
                "ON CONFLICT (\"MessageId\", \"ConsumerId\") DO UPDATE SET \"ReceiveCount\" = inbox_state.\"ReceiveCount\" + 1 RETURNING *",
                messageId, consumerId, received)
            .ToListAsync(cancellationToken);
        return rows.Single();
    }

    static async Task DisposeAsync(IDbContextTransaction transaction)
    {
        try
        {
            await transaction.DisposeAsync();
        }
#pragma warning disable CA1031 // disposing a transaction on a broken connection must not hide the handler's outcome
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    static async Task RollbackQuietly(IDbContextTransaction transaction)
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

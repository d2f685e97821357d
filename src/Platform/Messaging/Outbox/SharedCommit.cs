using System.Data;
using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Platform.Messaging.Outbox;

// Group commit, on PostgreSQL, for the messages of the endpoints that share commits (the sagas', inventory's, fraud's
// and shipping's): the messages in hand at once go through one transaction, one after the other on its connection, and
// commit together; each is acknowledged only after that commit, as alone. Under load an order's messages then cost a
// fraction of a commit each instead of a BEGIN, a COMMIT and a WAL flush apiece.
//
// - Each message keeps its own scope, inbox row, handler run and SaveChanges; the connection, the transaction and a
//   pooled context on them are shared (handed to its scope through DbContextSlot, its change tracker emptied for each).
// - The one that finishes while no other waits commits, so a lone message commits at once and a batch grows only from
//   messages that were already waiting (at most Outbox:SharedCommitMaxMessages).
// - Any failure fails the batch: it is rolled back and every message in it fails this attempt. Only first attempts share
//   (EfOutboxContextFactory), so the retries run alone and a poison message takes its neighbours down once, not again.
// - The transaction never waits on the outside world: a handler that must call it (OutsideTransaction) is refused here.
//
// Only on PostgreSQL (Applies, decided here once from the database's provider): on SQLite a longer write transaction
// only makes every other writer of the file wait, and a commit there costs no flush to share.
//
// One batch at a time per process and database: the handlers of the sharing endpoints run one after the other. Their
// work is the state machine and a few statements; it is the commits that cost.
public sealed class SharedCommit<TDbContext>(IServiceScopeFactory scopes, OutboxOptions options)
    where TDbContext : DbContext
{
    readonly SemaphoreSlim _gate = new(1, 1);
    int _waiting;
    Batch? _open;
    long _commits;
    long _messages;
    long _failures;
    int _applies; // 0: not decided yet, 1: yes, 2: no

    // Whether this database's messages share commits at all: PostgreSQL yes, SQLite no (see above).
    public bool Applies
    {
        get
        {
            var applies = Volatile.Read(ref _applies);
            if (applies == 0)
            {
                using var scope = scopes.CreateScope();
                applies = scope.ServiceProvider.GetRequiredService<TDbContext>().Database.UsesPostgres() ? 1 : 2;
                Volatile.Write(ref _applies, applies);
            }

            return applies == 1;
        }
    }

    // Batches committed, the messages in them, and batches that failed (tests, diagnostics).
    public long Commits => Interlocked.Read(ref _commits);

    public long Messages => Interlocked.Read(ref _messages);

    public long Failures => Interlocked.Read(ref _failures);

    // Runs one message's handling on a context of the open batch (opening one if none is), and completes once the batch
    // committed; throws what made the batch fail otherwise. work gets the scope's context, which is the batch's.
    public async Task RunAsync(IServiceProvider scope, Func<TDbContext, Task> work, CancellationToken cancellationToken)
    {
        var slot = scope.GetRequiredService<DbContextSlot<TDbContext>>();
        Interlocked.Increment(ref _waiting);
        // Not cancellable: a message that gave up waiting could leave an open batch with nobody to commit it. Whoever is
        // inside finishes in a few milliseconds.
        await _gate.WaitAsync(CancellationToken.None);
        Interlocked.Decrement(ref _waiting);
        Batch batch;
        try
        {
            batch = _open ??= await Batch.OpenAsync(scopes, cancellationToken);
            if (!slot.TryShare(batch.ContextFor, batch.Release))
                throw new InvalidOperationException($"The scope already holds its own {typeof(TDbContext).Name}: it cannot share a commit");
            var db = scope.GetRequiredService<TDbContext>();
            SharedCommitScope.Enter();
            try
            {
                await work(db);
            }
            finally
            {
                SharedCommitScope.Leave();
            }

            batch.Joined(db);
        }
        catch (Exception exception)
        {
            if (_open is { } failed)
            {
                _open = null;
                Interlocked.Increment(ref _failures);
                await failed.FailAsync(exception);
            }

            _gate.Release();
            throw;
        }

        try
        {
            if (Volatile.Read(ref _waiting) == 0 || batch.Count >= Math.Max(options.SharedCommitMaxMessages, 1))
            {
                _open = null;
                // Not this message's to cancel: the commit is every message's in the batch.
                if (await batch.CommitAsync(CancellationToken.None))
                {
                    Interlocked.Increment(ref _commits);
                    Interlocked.Add(ref _messages, batch.Count);
                }
                else
                {
                    Interlocked.Increment(ref _failures);
                }
            }
        }
        finally
        {
            _gate.Release();
        }

        await batch.Outcome;
    }

    // The batch's context is a pooled one, leased in the batch's own scope: it opens the connection (its interceptors run
    // as for any other), owns the transaction, and is handed to each message's scope in turn (its change tracker emptied
    // for each) instead of a context built for the batch. A message's scope disposes what it was handed when it ends, which
    // for a leased context does nothing while the lease lasts; so the lease lasts until the batch has ended and the last
    // message's scope has let go of the context (DbContextSlot's release), and only then does the context go back to the
    // pool. The connection goes back to its pool when the transaction ends.
    sealed class Batch
    {
        readonly AsyncServiceScope _scope;
        readonly TDbContext _context;
        readonly IDbContextTransaction _transaction;
        readonly TaskCompletionSource _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
        int _holders = 1; // the batch until it ends, and each message's scope it handed the context to until that ends
        bool _wake;

        Batch(AsyncServiceScope scope, TDbContext context, IDbContextTransaction transaction)
        {
            _scope = scope;
            _context = context;
            _transaction = transaction;
            // Observed by whoever awaits it; a batch nobody joined must not leave an unobserved failure behind.
            _outcome.Task.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
        }

        public int Count { get; private set; }

        public Task Outcome => _outcome.Task;

        public static async Task<Batch> OpenAsync(IServiceScopeFactory scopes, CancellationToken cancellationToken)
        {
            var scope = scopes.CreateAsyncScope();
            try
            {
                var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
                db.Database.AutoSavepointsEnabled = false;
                var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
                return new Batch(scope, db, transaction);
            }
            catch
            {
                await scope.DisposeAsync();
                throw;
            }
        }

        // For the message whose scope asks for its context (under the gate, so one at a time).
        public TDbContext ContextFor()
        {
            Interlocked.Increment(ref _holders);
            _context.ChangeTracker.Clear();
            return _context;
        }

        // A holder let go: the batch when it ended, a message's scope when it ended.
        public void Release()
        {
            if (Interlocked.Decrement(ref _holders) == 0)
                _scope.Dispose();
        }

        public void Joined(DbContext member)
        {
            Count++;
            _wake |= Streams.StreamOutboxSignal.TakePending(member);
        }

        public async Task<bool> CommitAsync(CancellationToken cancellationToken)
        {
            try
            {
                await _transaction.CommitAsync(cancellationToken);
            }
            catch (Exception exception)
            {
                await FailAsync(exception);
                return false;
            }

            if (_wake)
                Streams.StreamOutboxSignal.Wake(typeof(TDbContext));
            await EndAsync();
            _outcome.TrySetResult();
            return true;
        }

        public async Task FailAsync(Exception exception)
        {
            try
            {
                await _transaction.RollbackAsync(CancellationToken.None);
            }
#pragma warning disable CA1031 // what failed the batch is what its messages must see, not a rollback on a broken connection
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            await EndAsync();
            _outcome.TrySetException(new SharedCommitFailedException(exception));
        }

        async Task EndAsync()
        {
            try
            {
                await _transaction.DisposeAsync();
            }
#pragma warning disable CA1031 // disposing a transaction on a broken connection must not hide the batch's outcome
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            _context.ChangeTracker.Clear();
            Release();
        }
    }
}

// Whether the running handler is part of a shared commit (OutsideTransaction refuses then).
static class SharedCommitScope
{
    static readonly AsyncLocal<bool> Current = new();

    public static bool Active => Current.Value;

    public static void Enter() => Current.Value = true;

    public static void Leave() => Current.Value = false;
}

// A message whose batch failed (a neighbour's failure or the commit's): its attempt changed nothing, and its retry runs
// alone.
public sealed class SharedCommitFailedException(Exception cause)
    : Exception("The shared commit this message was part of failed; nothing it did was committed", cause);

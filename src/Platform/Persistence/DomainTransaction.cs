using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace GlobalCommerce.Platform.Persistence;

// A unit of work inside a handler. Under the transactional outbox the message already has a transaction, so this
// becomes a savepoint in it (rolling back undoes only the handler's part); elsewhere it is a transaction of its own.
// A handler that never rolls back its part alone (any failure fails the whole message) joins the message's transaction
// instead (JoinAsync): no SAVEPOINT and RELEASE, two statements and two round trips, for nothing to undo.
public sealed class DomainTransaction : IAsyncDisposable
{
    readonly IDbContextTransaction? _transaction;
    readonly string? _savepoint;
    bool _completed;

    DomainTransaction(IDbContextTransaction? transaction, string? savepoint)
    {
        _transaction = transaction;
        _savepoint = savepoint;
    }

    public static async Task<DomainTransaction> BeginAsync(DbContext db, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is { } ambient)
        {
            var savepoint = "unit_" + Guid.NewGuid().ToString("N");
            await ambient.CreateSavepointAsync(savepoint, cancellationToken);
            return new DomainTransaction(ambient, savepoint);
        }

        return new DomainTransaction(await db.Database.BeginTransactionAsync(cancellationToken), null);
    }

    // The message's transaction if there is one (committing or disposing this unit then does nothing: the message's
    // commit or rollback decides), else a transaction of its own. Such a unit cannot be rolled back on its own.
    public static async Task<DomainTransaction> JoinAsync(DbContext db, CancellationToken cancellationToken) =>
        db.Database.CurrentTransaction is not null
            ? new DomainTransaction(null, null)
            : new DomainTransaction(await db.Database.BeginTransactionAsync(cancellationToken), null);

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        if (_transaction is not null)
        {
            if (_savepoint is null)
                await _transaction.CommitAsync(cancellationToken);
            else
                await _transaction.ReleaseSavepointAsync(_savepoint, cancellationToken);
        }

        _completed = true;
    }

    public async Task RollbackAsync(CancellationToken cancellationToken)
    {
        if (_transaction is null)
            throw new InvalidOperationException("A unit joined to the message's transaction cannot be rolled back on its own");
        if (_savepoint is null)
            await _transaction.RollbackAsync(cancellationToken);
        else
            await _transaction.RollbackToSavepointAsync(_savepoint, cancellationToken);
        _completed = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_transaction is null)
            return;
        if (_savepoint is null)
            await _transaction.DisposeAsync();
        else if (!_completed)
            await _transaction.RollbackToSavepointAsync(_savepoint);
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
#pragma warning disable EF1001 // IScopedDbContextLease: how AddDbContextPool itself hands a scope its pooled context
using Microsoft.EntityFrameworkCore.Internal;
#pragma warning restore EF1001

namespace GlobalCommerce.Platform.Persistence;

// Which instance a scope gets when it asks for TContext: normally its pooled context; a message that joins a shared
// commit (SharedCommit) gets, before anything in its scope asks, the shared transaction's context, and lets go of it
// when the scope ends (release). The slot is resolved before the context it hands out, so the scope disposes it after
// that context: the context's own Dispose comes first and, for a context leased elsewhere, does nothing.
public sealed class DbContextSlot<TContext>(IServiceProvider scope) : IDisposable
    where TContext : DbContext
{
    Func<TContext>? _shared;
    Action? _sharedRelease;
    Action? _release;

    // Whether the scope has asked for its context yet: a context handed out cannot be swapped afterwards.
    public bool Resolved { get; private set; }

    // False when too late: something in the scope already holds its own context.
    public bool TryShare(Func<TContext> take, Action release)
    {
        if (Resolved)
            return false;
        _shared = take;
        _sharedRelease = release;
        return true;
    }

    internal TContext Resolve()
    {
        Resolved = true;
        if (_shared is { } take)
        {
            var context = take();
            _release = _sharedRelease;
            return context;
        }

#pragma warning disable EF1001
        return scope.GetRequiredService<IScopedDbContextLease<TContext>>().Context;
#pragma warning restore EF1001
    }

    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
}

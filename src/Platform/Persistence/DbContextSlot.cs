using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
#pragma warning disable EF1001 // IScopedDbContextLease: how AddDbContextPool itself hands a scope its pooled context
using Microsoft.EntityFrameworkCore.Internal;
#pragma warning restore EF1001

namespace GlobalCommerce.Platform.Persistence;

// Which instance a scope gets when it asks for TContext: normally its pooled context; a message that joins a shared
// commit (SharedCommit) gets, before anything in its scope asks, a context on the shared transaction's connection.
public sealed class DbContextSlot<TContext>(IServiceProvider scope)
    where TContext : DbContext
{
    Func<IServiceProvider, TContext>? _shared;

    // Whether the scope has asked for its context yet: a context handed out cannot be swapped afterwards.
    public bool Resolved { get; private set; }

    // False when too late: something in the scope already holds its own context.
    public bool TryShare(Func<IServiceProvider, TContext> create)
    {
        if (Resolved)
            return false;
        _shared = create;
        return true;
    }

    internal TContext Resolve()
    {
        Resolved = true;
#pragma warning disable EF1001
        return _shared is { } create ? create(scope) : scope.GetRequiredService<IScopedDbContextLease<TContext>>().Context;
#pragma warning restore EF1001
    }
}

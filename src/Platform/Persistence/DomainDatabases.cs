using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace GlobalCommerce.Platform.Persistence;

// The one place that decides which database engine a domain runs on.
public static class DomainDatabases
{
    public static IServiceCollection AddDomainDbContext<TContext>(this IServiceCollection services, CommerceOptions options, string domain)
        where TContext : DbContext
    {
        var connectionString = ConnectionString(options, domain);
        // Pooled: every consumed message, stream batch and request takes a context, and building one (its options, its
        // internal services, the model lookup) was about 6 % of the embedded default's CPU per order. A pooled context is
        // reset on return (change tracker, AutoSavepointsEnabled and the other per-use settings); ours keep no state of
        // their own.
        services.AddDbContextPool<TContext>(db => Configure(db, options.DatabaseProvider, connectionString));
        // The scope's TContext goes through its slot, so a message sharing a commit can be handed the shared one.
        services.TryAddScoped<DbContextSlot<TContext>>();
        services.RemoveAll<TContext>();
        services.AddScoped(scope => scope.GetRequiredService<DbContextSlot<TContext>>().Resolve());
        services.AddSingleton(new DomainDatabase(typeof(TContext), domain, options.DatabaseProvider, connectionString));
        return services;
    }

    public static string ConnectionString(CommerceOptions options, string domain) => options.DatabaseProvider switch
    {
        DatabaseProvider.Sqlite => $"Data Source={Path.Combine(Path.GetFullPath(options.DataDirectory), domain + ".db")};Pooling=True;Default Timeout=30",
        // No session state is set on a pooled connection, so resetting it (DISCARD ALL, a round trip per open) buys
        // nothing; the statements a handler repeats are prepared once per connection instead of planned each time.
        DatabaseProvider.Postgres => new NpgsqlConnectionStringBuilder(options.PostgresConnection)
        {
            Database = options.DatabasePrefix + domain,
            NoResetOnClose = true,
            MaxAutoPrepare = 100,
            AutoPrepareMinUsages = 2,
        }.ConnectionString,
        _ => throw new InvalidOperationException($"Unknown database provider {options.DatabaseProvider}"),
    };

    // A list in a query (ids.Contains(x.Id)) is one array parameter (json_each on SQLite, = ANY on PostgreSQL), not one
    // parameter per element: the SQL text, hence EF's compiled query and the server's prepared plan, is the same
    // whatever the list's length, instead of regenerated for every new count.
    public static void Configure(DbContextOptionsBuilder db, DatabaseProvider provider, string connectionString)
    {
        switch (provider)
        {
            case DatabaseProvider.Sqlite:
                db.UseSqlite(connectionString, o => o.UseParameterizedCollectionMode(ParameterTranslationMode.Parameter)).AddInterceptors(SqlitePragmas.Instance, Streams.StreamOutboxSignal.Instance);
                break;
            case DatabaseProvider.Postgres:
                db.UseNpgsql(connectionString, o => o.UseParameterizedCollectionMode(ParameterTranslationMode.Parameter)).AddInterceptors(Streams.StreamOutboxSignal.Instance);
                break;
            default:
                throw new InvalidOperationException($"Unknown database provider {provider}");
        }
    }

    // SQLite cannot compare or order DateTimeOffset values; storing them as binary ticks keeps deadline queries in SQL.
    public static void ApplyProviderConventions(this ModelConfigurationBuilder configurationBuilder, DatabaseFacade database)
    {
        if (database.IsSqlite())
        {
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
        }
    }
}

public sealed record DomainDatabase(Type ContextType, string Domain, DatabaseProvider Provider, string ConnectionString);

// How the embedded default's SQLite files store a DateTimeOffset (ApplyProviderConventions), for raw SQL parameters,
// which EF passes as they are.
public static class SqliteTime
{
    static readonly DateTimeOffsetToBinaryConverter Converter = new();

    public static long ToStored(DateTimeOffset value) => (long)Converter.ConvertToProvider(value)!;
}

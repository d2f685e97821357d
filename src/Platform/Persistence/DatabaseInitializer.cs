using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace GlobalCommerce.Platform.Persistence;

// Creates every domain database this host uses before the bus starts consuming.
// Schema changes are additive for now (EnsureCreated); migrations arrive with the first breaking change.
public sealed partial class DatabaseInitializer(IServiceProvider services, IEnumerable<DomainDatabase> databases, ILogger<DatabaseInitializer> logger)
    : IHostedService
{
    // API and worker hosts start together in real mode; one advisory lock serialises their CREATE DATABASE calls.
    const long SchemaLockKey = 0x6763_5f73_6368;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var database in databases.DistinctBy(d => d.ContextType))
        {
            await using var scope = services.CreateAsyncScope();
            var context = (DbContext)scope.ServiceProvider.GetRequiredService(database.ContextType);
            if (database.Provider == DatabaseProvider.Postgres)
                await CreatePostgresAsync(context, database, cancellationToken);
            else
                await CreateSqliteAsync(context, database, cancellationToken);
            // A database made before the streams existed gets their tables (a new one has them from EnsureCreated).
            if (context.Model.FindEntityType(typeof(Streams.StreamOutboxEntry)) is not null)
                await Streams.StreamStore.EnsureTablesAsync(context, cancellationToken);
            await CreateMissingTablesAsync(context, database.Provider, cancellationToken);
            LogReady(logger, database.Domain, database.Provider);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    static async Task CreatePostgresAsync(DbContext context, DomainDatabase database, CancellationToken cancellationToken)
    {
        var maintenance = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var command = new NpgsqlCommand($"SELECT pg_advisory_lock({SchemaLockKey})", connection))
            await command.ExecuteNonQueryAsync(cancellationToken);
        await context.Database.EnsureCreatedAsync(cancellationToken);
        if (HasInbox(context))
            await context.Database.ExecuteSqlRawAsync("ALTER TABLE inbox_state ADD COLUMN IF NOT EXISTS \"Outgoing\" text", cancellationToken);
    }

    // EnsureCreated does not touch an existing database: one made before the outbox kept a handler's messages in its
    // inbox row gets the column here (its old outbox_message table is left as it was).
    static bool HasInbox(DbContext context) => context.Model.FindEntityType(typeof(Messaging.Outbox.InboxState)) is not null;

    static async Task CreateSqliteAsync(DbContext context, DomainDatabase database, CancellationToken cancellationToken)
    {
        var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(database.ConnectionString).DataSource;
        DataFiles.OwnerOnly(Path.GetFullPath(file));
        await context.Database.EnsureCreatedAsync(cancellationToken);
        // WAL lets the API read while consumers write.
        await context.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        if (HasInbox(context)
            && await context.Database.SqlQueryRaw<int>("SELECT COUNT(*) AS \"Value\" FROM pragma_table_info('inbox_state') WHERE name = 'Outgoing'")
                .SingleAsync(cancellationToken) == 0)
            await context.Database.ExecuteSqlRawAsync("ALTER TABLE inbox_state ADD COLUMN \"Outgoing\" TEXT", cancellationToken);
    }

    // EnsureCreated leaves a database that exists as it is, so a table added to a domain's model later (product_images in
    // product_db) would be missing from every database made before it. Such tables are created here, with their indexes
    // and keys, from the model itself: the SQL EnsureCreated would have run for them.
    static async Task CreateMissingTablesAsync(DbContext context, DatabaseProvider provider, CancellationToken cancellationToken)
    {
        var existing = (await context.Database.SqlQueryRaw<string>(provider == DatabaseProvider.Postgres
                ? "SELECT table_name AS \"Value\" FROM information_schema.tables WHERE table_schema = current_schema()"
                : "SELECT name AS \"Value\" FROM sqlite_master WHERE type = 'table'")
            .ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var model = context.GetService<IDesignTimeModel>().Model;
        // The model differ is slow (it diffs the whole model); it runs only when a table is actually missing.
        if (model.GetRelationalModel().Tables.All(table => existing.Contains(table.Name)))
            return;
        var operations = context.GetService<IMigrationsModelDiffer>().GetDifferences(null, model.GetRelationalModel());
        var missing = operations.OfType<CreateTableOperation>().Select(t => t.Name).Where(name => !existing.Contains(name)).ToHashSet(StringComparer.Ordinal);
        if (missing.Count == 0)
            return;
        var creates = operations.Where(o => o is CreateTableOperation table && missing.Contains(table.Name)
            || o is CreateIndexOperation index && missing.Contains(index.Table)).ToList();
        foreach (var command in context.GetService<IMigrationsSqlGenerator>().Generate(creates, model))
            await context.Database.ExecuteSqlRawAsync(command.CommandText, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database for {Domain} ready on {Provider}")]
    static partial void LogReady(ILogger logger, string domain, DatabaseProvider provider);
}

using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace GlobalCommerce.Consumers.Tests.Support;

// Each test gets databases of its own: a temp folder of SQLite files, or uniquely named PostgreSQL databases.
public static class TestDatabases
{
    public static CommerceOptions For(DatabaseProvider provider) => provider switch
    {
        DatabaseProvider.Sqlite => new CommerceOptions
        {
            DatabaseProvider = DatabaseProvider.Sqlite,
            DataDirectory = Path.Combine(Path.GetTempPath(), "gc-consumers-tests", Guid.NewGuid().ToString("N")),
        },
        DatabaseProvider.Postgres => new CommerceOptions
        {
            DatabaseProvider = DatabaseProvider.Postgres,
            // Failing, not skipping: a suite that silently skips its PostgreSQL half would pass without testing it.
            PostgresConnection = Environment.GetEnvironmentVariable("GC_TEST_POSTGRES") is { Length: > 0 } connection
                ? connection
                : throw new InvalidOperationException(
                    "GC_TEST_POSTGRES is not set. Run the suite with scripts/test.sh, or start a server with " +
                    "'scripts/servers.sh start DIR && source DIR/env' (a connection string without Database=)."),
            DatabasePrefix = "t" + Guid.NewGuid().ToString("N") + "_",
            // Files a host still writes (the embedded stream log) stay out of the user's data folder.
            DataDirectory = Path.Combine(Path.GetTempPath(), "gc-consumers-tests", Guid.NewGuid().ToString("N")),
        },
        _ => throw new ArgumentOutOfRangeException(nameof(provider)),
    };

    // The production initializer, so tests create their schema exactly as the hosts do.
    public static Task CreateAsync(IServiceProvider services) =>
        new DatabaseInitializer(services, services.GetServices<DomainDatabase>(), NullLogger<DatabaseInitializer>.Instance)
            .StartAsync(CancellationToken.None);

    public static async Task DropAsync(IServiceProvider services, CommerceOptions options)
    {
        foreach (var database in services.GetServices<DomainDatabase>().DistinctBy(d => d.ConnectionString))
        {
            if (database.Provider == DatabaseProvider.Postgres)
            {
                await using (var pooled = new NpgsqlConnection(database.ConnectionString))
                    NpgsqlConnection.ClearPool(pooled);
                var maintenance = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Database = "postgres", Pooling = false };
                await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
                await connection.OpenAsync();
                var name = new NpgsqlConnectionStringBuilder(database.ConnectionString).Database;
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync();
            }
            else
            {
                using var pooled = new SqliteConnection(database.ConnectionString);
                SqliteConnection.ClearPool(pooled);
            }
        }

        if (options.DatabaseProvider == DatabaseProvider.Sqlite && Directory.Exists(options.DataDirectory))
        {
            try
            {
                Directory.Delete(options.DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open only leaks a temp folder; it must not fail the test.
            }
        }
    }
}

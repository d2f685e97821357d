using System.Data.Common;
using GlobalCommerce.Platform.Persistence;
using MassTransit;
using MassTransit.Configuration;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace GlobalCommerce.Platform.Hosting;

// Readiness = every database this host uses answers a query, and the bus is connected. The bus check is MassTransit's
// own ("masstransit-bus", registered by AddMassTransit).
public static class CommerceHealthChecks
{
    // Long enough for a loaded server, short enough that an orchestrator's probe gets its answer before it gives up.
    static readonly TimeSpan DatabaseTimeout = TimeSpan.FromSeconds(3);

    public static IHealthChecksBuilder AddCommerceHealthChecks(this IServiceCollection services)
    {
        // The databases are known only once every domain has registered itself, so the checks are added when the
        // health check options are first built, from the DomainDatabase records in the container.
        services.AddSingleton<IConfigureOptions<HealthCheckServiceOptions>, DatabaseChecks>();
        // Left alone, MassTransit reports a bus that has lost its broker (or not yet reached it) as Degraded, which the
        // health endpoint answers with 200: the instance would stay in rotation unable to send a message.
        services.Configure<MassTransitHealthCheckOptions<IBus>>(bus => bus.MinimalFailureStatus = HealthStatus.Unhealthy);
        return services.AddHealthChecks();
    }

    sealed class DatabaseChecks(IEnumerable<DomainDatabase> databases) : IConfigureOptions<HealthCheckServiceOptions>
    {
        public void Configure(HealthCheckServiceOptions options)
        {
            foreach (var database in databases.DistinctBy(d => d.Domain))
            {
                options.Registrations.Add(new HealthCheckRegistration($"db-{database.Domain}", _ => new DatabaseCheck(database),
                    HealthStatus.Unhealthy, ["ready", "db"], DatabaseTimeout));
            }
        }
    }

    sealed class DatabaseCheck(DomainDatabase database) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                // A pooled connection may be idle and broken; only a round trip proves the server answers.
                await using var connection = Connect();
                await connection.OpenAsync(cancellationToken);
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT 1";
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy($"{database.Domain} on {database.Provider}");
            }
            catch (DbException exception)
            {
                // The exception stays out of the result: the report is served unauthenticated and its text can name the
                // server or the file path.
                return new HealthCheckResult(context.Registration.FailureStatus,
                    $"{database.Domain} on {database.Provider} unreachable ({exception.GetType().Name})");
            }
        }

        DbConnection Connect() => database.Provider switch
        {
            DatabaseProvider.Postgres => new NpgsqlConnection(database.ConnectionString),
            // ReadWrite, not the default ReadWriteCreate: a missing file is a failure, not an empty database to create.
            // Unpooled: a pooled handle outlives its file being deleted, and opening a file costs microseconds.
            DatabaseProvider.Sqlite => new SqliteConnection(new SqliteConnectionStringBuilder(database.ConnectionString)
            {
                Mode = SqliteOpenMode.ReadWrite,
                Pooling = false,
            }.ConnectionString),
            _ => throw new InvalidOperationException($"Unknown database provider {database.Provider}"),
        };
    }
}

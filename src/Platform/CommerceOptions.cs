namespace GlobalCommerce.Platform;

// The switches that move the platform between the embedded default and real infrastructure.
public sealed class CommerceOptions
{
    public const string Section = "Commerce";

    public TransportKind Transport { get; set; } = TransportKind.InMemory;

    public string RabbitMqUrl { get; set; } = "amqp://guest:guest@127.0.0.1:5672/";

    public DatabaseProvider DatabaseProvider { get; set; } = DatabaseProvider.Sqlite;

    public string DataDirectory { get; set; } = "data";

    // Server, port and credentials only; each domain gets its own database named DatabasePrefix + domain.
    public string PostgresConnection { get; set; } = "Host=127.0.0.1;Port=5432;Username=postgres";

    public string DatabasePrefix { get; set; } = "gc_";

    // In the embedded default the API process also hosts the consumers, the saga and the sweeper.
    public bool RunWorkers { get; set; } = true;

    public bool SeedDemoCatalog { get; set; } = true;

    public static CommerceOptions From(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var options = new CommerceOptions();
        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(configuration.GetSection(Section), options);
        return options;
    }
}

public enum TransportKind
{
    InMemory,
    RabbitMq,
}

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

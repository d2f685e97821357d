using GlobalCommerce.Platform.Messaging;

namespace GlobalCommerce.Platform;

public sealed class CommerceOptions
{
    public const string Section = "Commerce";

    // Commerce:Mode is the one switch between the platform's two shapes. Everything that differs between them reads it,
    // through the defaults below; each of those can still be set on its own (tests point one at a real server).
    // - Embedded (default): one process. The API also hosts the sagas, consumers and sweepers, on the in-memory bus and
    //   SQLite files in DataDirectory; it seeds the demo catalog and accounts and generates its token signing key.
    // - Distributed: the API and any number of Workers processes on RabbitMQ and PostgreSQL. Nothing demo is seeded
    //   and the signing key must come from Commerce:Identity:SigningKeyPath.
    public CommerceMode Mode { get; set; } = CommerceMode.Embedded;

    public bool IsEmbedded => Mode == CommerceMode.Embedded;

    public TransportKind Transport
    {
        get => _transport ?? (IsEmbedded ? TransportKind.InMemory : TransportKind.RabbitMq);
        set => _transport = value;
    }

    public string RabbitMqUrl { get; set; } = "amqp://guest:guest@127.0.0.1:5672/";

    // Commerce:Messaging: the receive endpoints' concurrency (per endpoint, per host).
    public MessagingOptions Messaging { get; set; } = new();

    public DatabaseProvider DatabaseProvider
    {
        get => _databaseProvider ?? (IsEmbedded ? DatabaseProvider.Sqlite : DatabaseProvider.Postgres);
        set => _databaseProvider = value;
    }

    // SQLite files and the embedded signing key: the user's data folder, never the source tree (a `git add .` must not
    // pick up a private key).
    public string DataDirectory { get; set; } = DefaultDataDirectory();

    // Server, port and credentials only; each domain gets its own database named DatabasePrefix + domain.
    public string PostgresConnection { get; set; } = "Host=127.0.0.1;Port=5432;Username=postgres";

    public string DatabasePrefix { get; set; } = "gc_";

    // Whether the API process hosts the sagas, consumers and sweepers (a Workers process always does).
    public bool RunWorkers
    {
        get => _runWorkers ?? IsEmbedded;
        set => _runWorkers = value;
    }

    public bool SeedDemoCatalog
    {
        get => _seedDemoCatalog ?? IsEmbedded;
        set => _seedDemoCatalog = value;
    }

    TransportKind? _transport;
    DatabaseProvider? _databaseProvider;
    bool? _runWorkers;
    bool? _seedDemoCatalog;

    static string DefaultDataDirectory()
    {
        var root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        return Path.Combine(string.IsNullOrEmpty(root) ? Path.GetTempPath() : root, "globalcommerce");
    }

    public static CommerceOptions From(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var options = new CommerceOptions();
        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(configuration.GetSection(Section), options);
        return options;
    }
}

public enum CommerceMode
{
    Embedded,
    Distributed,
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

using GlobalCommerce.Platform;

namespace GlobalCommerce.Sagas.Tests;

// Each test gets databases of its own: a temp folder of SQLite files, or uniquely named PostgreSQL databases.
public static class TestDatabases
{
    public static CommerceOptions Sqlite() => new()
    {
        DatabaseProvider = DatabaseProvider.Sqlite,
        DataDirectory = Path.Combine(Path.GetTempPath(), "gc-tests", Guid.NewGuid().ToString("N")),
    };

    public static CommerceOptions Postgres() => new()
    {
        DatabaseProvider = DatabaseProvider.Postgres,
        PostgresConnection = Environment.GetEnvironmentVariable("GC_TEST_POSTGRES")
            ?? throw new InvalidOperationException(
                "GC_TEST_POSTGRES is not set. Run the suite with scripts/test.sh, which starts PostgreSQL and sets it."),
        DatabasePrefix = "t" + Guid.NewGuid().ToString("N")[..12] + "_",
    };

    public static CommerceOptions For(DatabaseProvider provider) => provider == DatabaseProvider.Postgres ? Postgres() : Sqlite();
}

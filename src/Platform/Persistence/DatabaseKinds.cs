using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;

namespace GlobalCommerce.Platform.Persistence;

// Which database a context talks to, asked of its connection's type. EF Core's IsNpgsql() and IsSqlite() compare the
// provider's name, which they read from assembly metadata on every call (Assembly.GetName builds a new AssemblyName
// each time, twice per check); the message path asks a dozen times per order.
public static class DatabaseKinds
{
    public static bool UsesPostgres(this DatabaseFacade database) => database.GetDbConnection() is NpgsqlConnection;

    public static bool UsesSqlite(this DatabaseFacade database) => database.GetDbConnection() is SqliteConnection;
}

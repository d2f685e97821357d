using GlobalCommerce.Platform.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Tests.Persistence;

// The per-connection settings hold on every open, the first one and those that get a pooled native connection back.
public sealed class SqlitePragmasTests : IDisposable
{
    readonly string _file = Path.Combine(Path.GetTempPath(), $"gc-pragmas-{Guid.NewGuid():N}.db");

    [Fact]
    public async Task Busy_timeout_and_synchronous_hold_on_the_first_and_on_pooled_opens()
    {
        var options = new DbContextOptionsBuilder<DbContext>()
            .UseSqlite(new SqliteConnectionStringBuilder { DataSource = _file, Pooling = true }.ToString())
            .AddInterceptors(SqlitePragmas.Instance)
            .Options;
        for (var open = 0; open < 3; open++)
        {
            await using var db = new DbContext(options);
            // Synchronous (EF's own opens) and asynchronous alike.
            if (open % 2 == 0)
                await db.Database.OpenConnectionAsync();
            else
                db.Database.OpenConnection();
            Assert.Equal(10_000L, await ScalarAsync(db, "PRAGMA busy_timeout"));
            // 1 = NORMAL (the default would be 2, FULL).
            Assert.Equal(1L, await ScalarAsync(db, "PRAGMA synchronous"));
            await db.Database.CloseConnectionAsync();
        }
    }

    static async Task<long> ScalarAsync(DbContext db, string sql)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        File.Delete(_file);
    }
}

using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Platform.Persistence;

public enum UpsertColumnKind
{
    Guid,
    Text,
    Int,
    Long,
    Bool,
    Time,
}

public sealed record UpsertColumn<T>(string Name, UpsertColumnKind Kind, Func<T, object?> Value);

// Writes the added and modified tracked entities of one type with a single INSERT … ON CONFLICT (key) DO UPDATE, then
// marks them unchanged so SaveChanges leaves them alone. For the batch consumers of a stream, which change tens to
// hundreds of rows of one table per batch: EF Core runs one statement per row on SQLite (it does not batch there) and
// builds each statement's SQL anew; this is one statement whose text does not depend on the batch (rows as one JSON
// array on SQLite, one array per column on PostgreSQL). Call it inside the transaction that SaveChanges then joins, so
// the rows commit with everything else or not at all. Every column of the table is listed: the statement writes whole rows.
public sealed class TrackedUpsert<T>
    where T : class
{
    readonly string _table;
    readonly IReadOnlyList<UpsertColumn<T>> _columns;
    readonly string _sqlite;
    readonly string _postgres;
    int _checked;

    public TrackedUpsert(string table, IReadOnlyList<string> key, params IReadOnlyList<UpsertColumn<T>> columns)
    {
        _table = table;
        _columns = columns;
        var names = string.Join(", ", columns.Select(c => Quote(c.Name)));
        var conflict = string.Join(", ", key.Select(Quote));
        var update = string.Join(", ", columns.Where(c => !key.Contains(c.Name)).Select(c => $"{Quote(c.Name)} = excluded.{Quote(c.Name)}"));
        // "WHERE true": SQLite's parser needs it to tell the upsert's ON CONFLICT from a join's ON.
        _sqlite = $"INSERT INTO {Quote(table)} ({names}) SELECT {string.Join(", ", columns.Select((_, i) => $"value ->> {i}"))} " +
            $"FROM json_each({{0}}) WHERE true ON CONFLICT ({conflict}) DO UPDATE SET {update}";
        var parameters = string.Join(", ", columns.Select((c, i) => $"{{{i}}}::{PostgresType(c.Kind)}[]"));
        _postgres = $"INSERT INTO {Quote(table)} ({names}) SELECT * FROM unnest({parameters}) ON CONFLICT ({conflict}) DO UPDATE SET {update}";
    }

    // The number of rows written.
    public async Task<int> WriteAsync(DbContext db, CancellationToken cancellationToken)
    {
        var entries = db.ChangeTracker.Entries<T>().Where(e => e.State is EntityState.Added or EntityState.Modified).ToList();
        if (entries.Count == 0)
            return 0;
        if (Volatile.Read(ref _checked) == 0)
            CheckAgainst(db);
        var rows = entries.Select(e => e.Entity).ToList();
        if (db.Database.UsesPostgres())
            await db.Database.ExecuteSqlRawAsync(_postgres, _columns.Select(c => PostgresArray(c, rows)).ToArray(), cancellationToken);
        else if (db.Database.UsesSqlite())
            await db.Database.ExecuteSqlRawAsync(_sqlite, [SqliteJson(rows)], cancellationToken);
        else
            throw new NotSupportedException($"{_table}: no set-based upsert for {db.Database.ProviderName}");
        foreach (var entry in entries)
            entry.State = EntityState.Unchanged;
        return entries.Count;
    }

    // A row written by this statement must be the whole row EF knows: a property added to the entity later and not here
    // would silently never be written.
    void CheckAgainst(DbContext db)
    {
        var entity = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model of {db.GetType().Name}");
        var table = entity.GetTableName();
        var store = Microsoft.EntityFrameworkCore.Metadata.StoreObjectIdentifier.Table(table!, entity.GetSchema());
        var modelled = entity.GetProperties().Where(p => p.GetComputedColumnSql() is null).Select(p => p.GetColumnName(store)).Order(StringComparer.Ordinal);
        var listed = _columns.Select(c => c.Name).Order(StringComparer.Ordinal);
        if (table != _table || !modelled.SequenceEqual(listed))
        {
            throw new InvalidOperationException(
                $"The set-based upsert of {typeof(T).Name} writes {_table} ({string.Join(", ", listed)}) but the model has {table} " +
                $"({string.Join(", ", modelled)})");
        }

        Volatile.Write(ref _checked, 1);
    }

    string SqliteJson(List<T> rows)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var row in rows)
            {
                json.WriteStartArray();
                foreach (var column in _columns)
                {
                    // As EF Core stores them on SQLite: Guid as upper-case text, DateTimeOffset as binary ticks, bool as 0/1.
                    switch (column.Value(row))
                    {
                        case null:
                            json.WriteNullValue();
                            break;
                        case Guid id:
                            json.WriteStringValue(SqliteValues.Guid(id));
                            break;
                        case string text:
                            json.WriteStringValue(text);
                            break;
                        case int number:
                            json.WriteNumberValue(number);
                            break;
                        case long number:
                            json.WriteNumberValue(number);
                            break;
                        case bool flag:
                            json.WriteNumberValue(flag ? 1 : 0);
                            break;
                        case DateTimeOffset time:
                            json.WriteNumberValue(SqliteTime.ToStored(time));
                            break;
                        case var other:
                            throw new NotSupportedException($"{_table}.{column.Name}: {other.GetType()} values are not written set-based");
                    }
                }

                json.WriteEndArray();
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    static object PostgresArray(UpsertColumn<T> column, List<T> rows) => column.Kind switch
    {
        UpsertColumnKind.Guid => rows.Select(r => (Guid)column.Value(r)!).ToArray(),
        UpsertColumnKind.Text => rows.Select(r => (string?)column.Value(r)).ToArray(),
        UpsertColumnKind.Int => rows.Select(r => (int)column.Value(r)!).ToArray(),
        UpsertColumnKind.Long => rows.Select(r => (long)column.Value(r)!).ToArray(),
        UpsertColumnKind.Bool => rows.Select(r => (bool)column.Value(r)!).ToArray(),
        UpsertColumnKind.Time => rows.Select(r => (DateTimeOffset)column.Value(r)!).ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(column), column.Kind, null),
    };

    static string PostgresType(UpsertColumnKind kind) => kind switch
    {
        UpsertColumnKind.Guid => "uuid",
        UpsertColumnKind.Text => "text",
        UpsertColumnKind.Int => "integer",
        UpsertColumnKind.Long => "bigint",
        UpsertColumnKind.Bool => "boolean",
        UpsertColumnKind.Time => "timestamptz",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    static string Quote(string name) => "\"" + name + "\"";
}

namespace GlobalCommerce.Platform.Persistence;

// Values written by raw SQL on SQLite must look exactly as EF Core writes them, or EF's own queries will not find them.
public static class SqliteValues
{
    // EF Core keeps a Guid in SQLite as upper-case text.
    public static string Guid(Guid id) => id.ToString("D").ToUpperInvariant();
}

namespace GlobalCommerce.Platform.Persistence;

public static class DataFiles
{
    // The files hold accounts, orders and payment references: the folder is 0700 and the database 0600, created so before
    // SQLite writes a byte (its -wal and -shm files take the database file's mode).
    public static void OwnerOnly(string file)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(file)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            using var created = new FileStream(file, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException) when (File.Exists(file))
        {
            // A database from an earlier run, or one another host created first.
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}

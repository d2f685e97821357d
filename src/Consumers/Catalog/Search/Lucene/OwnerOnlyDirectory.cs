using Lucene.Net.Store;

namespace GlobalCommerce.Consumers.Catalog.Search.Lucene;

// The index sits in the data folder beside the databases: its folders are 0700 and each file it writes 0600, set when the
// file is created and still empty (Lucene opens files with the process's default mode).
sealed class OwnerOnlyDirectory : MMapDirectory
{
    const UnixFileMode Folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    const UnixFileMode File = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    OwnerOnlyDirectory(DirectoryInfo path)
        : base(path)
    {
    }

    public static OwnerOnlyDirectory Create(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!, Folder);
            System.IO.Directory.CreateDirectory(path, Folder);
        }

        return new OwnerOnlyDirectory(new DirectoryInfo(path));
    }

    public override IndexOutput CreateOutput(string name, IOContext context)
    {
        var output = base.CreateOutput(name, context);
        Restrict(name);
        return output;
    }

    // Also for the files Lucene creates around CreateOutput (its write.lock).
    public void Restrict(string name)
    {
        var file = Path.Combine(Directory.FullName, name);
        if (!OperatingSystem.IsWindows() && System.IO.File.Exists(file))
            System.IO.File.SetUnixFileMode(file, File);
    }
}

using System.Text.RegularExpressions;

namespace GlobalCommerce.Platform.Blobs;

// The names both stores accept. Azure's rules for containers; for blob names a subset of Azure's that is also a safe
// relative path on every file system: segments of letters, digits, '.', '_' and '-' joined by '/', none starting with
// a dot (so no "." or "..", no hidden files) and '#' free for the local store's own side files.
public static partial class BlobNames
{
    public const int MaxNameLength = 1024;

    public static void Validate(string container, string name)
    {
        if (!ContainerPattern().IsMatch(container))
            throw new ArgumentException("A container name is 3 to 63 lowercase letters, digits and single hyphens.", nameof(container));
        if (name.Length > MaxNameLength || !NamePattern().IsMatch(name))
            throw new ArgumentException("A blob name is '/'-separated segments of letters, digits, '.', '_' and '-', none starting with '.'.",
                nameof(name));
    }

    public static bool IsValid(string container, string name) =>
        ContainerPattern().IsMatch(container) && name.Length <= MaxNameLength && NamePattern().IsMatch(name);

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerPattern();

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}(?:/[A-Za-z0-9_-][A-Za-z0-9._-]{0,254})*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}

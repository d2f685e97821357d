using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace GlobalCommerce.Platform.Hosting;

// The host's appsettings files are read from its content root, which is the working directory: a host started from
// anywhere else (`dotnet /opt/globalcommerce/GlobalCommerce.Api.dll`, a service unit without WorkingDirectory) silently
// ran without them, with every log level at Information (every SQL statement logged, a third of the CPU during an
// upload). A settings file missing from the content root is read from beside the host's assembly instead, in the same
// place among the sources, so environment variables and the command line still override it.
public static class InstalledSettings
{
    public static void UseInstalledSettingsWhenMissing(IHostApplicationBuilder builder) =>
        UseInstalledSettingsWhenMissing(builder.Configuration, builder.Environment.ContentRootPath, AppContext.BaseDirectory);

    public static void UseInstalledSettingsWhenMissing(IConfigurationBuilder configuration, string contentRoot, string installDirectory)
    {
        if (string.Equals(Path.GetFullPath(contentRoot).TrimEnd('/'), Path.GetFullPath(installDirectory).TrimEnd('/'), StringComparison.Ordinal))
            return;
        var sources = configuration.Sources;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is not JsonConfigurationSource { Path: { } path } json || Path.IsPathRooted(path)
                || File.Exists(Path.Combine(contentRoot, path)) || !File.Exists(Path.Combine(installDirectory, path)))
                continue;
            sources[i] = new JsonConfigurationSource
            {
                Path = path,
                Optional = json.Optional,
                ReloadOnChange = json.ReloadOnChange,
                FileProvider = new PhysicalFileProvider(installDirectory),
            };
        }
    }
}

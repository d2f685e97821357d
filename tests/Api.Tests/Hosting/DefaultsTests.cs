using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace GlobalCommerce.Api.Tests.Hosting;

public sealed class DefaultsTests
{
    [Fact]
    public void The_default_data_directory_is_the_users_data_folder_not_the_working_directory()
    {
        var directory = new CommerceOptions().DataDirectory;

        Assert.True(Path.IsPathRooted(directory), directory);
        Assert.False(directory.StartsWith(Environment.CurrentDirectory, StringComparison.Ordinal), directory);
        Assert.Equal("globalcommerce", Path.GetFileName(directory));
    }

    [Fact]
    public void A_host_started_from_another_directory_reads_the_settings_installed_beside_it()
    {
        var install = Directory.CreateTempSubdirectory("gc-install-");
        var elsewhere = Directory.CreateTempSubdirectory("gc-cwd-");
        try
        {
            File.WriteAllText(Path.Combine(install.FullName, "appsettings.json"),
                """{ "Logging": { "LogLevel": { "Microsoft.EntityFrameworkCore": "Warning" } }, "Commerce": { "Mode": "Embedded" } }""");
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = elsewhere.FullName });
            Assert.Null(builder.Configuration["Logging:LogLevel:Microsoft.EntityFrameworkCore"]);
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Commerce:Mode"] = "Distributed" });

            InstalledSettings.UseInstalledSettingsWhenMissing(builder.Configuration, builder.Environment.ContentRootPath, install.FullName);

            Assert.Equal("Warning", builder.Configuration["Logging:LogLevel:Microsoft.EntityFrameworkCore"]);
            // Still overridden by what comes after the file (environment variables, the command line).
            Assert.Equal("Distributed", builder.Configuration["Commerce:Mode"]);
        }
        finally
        {
            install.Delete(recursive: true);
            elsewhere.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_settings_file_in_the_content_root_is_the_one_read()
    {
        var install = Directory.CreateTempSubdirectory("gc-install-");
        var root = Directory.CreateTempSubdirectory("gc-root-");
        try
        {
            File.WriteAllText(Path.Combine(install.FullName, "appsettings.json"), """{ "Commerce": { "Mode": "Embedded" } }""");
            File.WriteAllText(Path.Combine(root.FullName, "appsettings.json"), """{ "Commerce": { "Mode": "Distributed" } }""");
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = root.FullName });

            InstalledSettings.UseInstalledSettingsWhenMissing(builder.Configuration, builder.Environment.ContentRootPath, install.FullName);

            Assert.Equal("Distributed", builder.Configuration["Commerce:Mode"]);
        }
        finally
        {
            install.Delete(recursive: true);
            root.Delete(recursive: true);
        }
    }
}

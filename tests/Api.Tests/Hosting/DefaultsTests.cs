using GlobalCommerce.Platform;

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
}

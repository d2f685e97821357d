namespace GlobalCommerce.Consumers.Tests.Support;

// Against the Azurite scripts/test.sh starts (GC_TEST_AZURITE, a blob connection string). Without it these are skipped,
// except on CI where a missing emulator is a failure.
public sealed class AzuriteFactAttribute : FactAttribute
{
    public static string? Connection => Environment.GetEnvironmentVariable("GC_TEST_AZURITE");

    public AzuriteFactAttribute()
    {
        if (string.IsNullOrEmpty(Connection) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            Skip = "GC_TEST_AZURITE is not set: run the suite with scripts/test.sh";
    }
}

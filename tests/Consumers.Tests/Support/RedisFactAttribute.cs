namespace GlobalCommerce.Consumers.Tests.Support;

// Against the redis-server scripts/test.sh starts (GC_TEST_REDIS). Without it these are skipped, except on CI where a
// missing server is a failure.
public sealed class RedisFactAttribute : FactAttribute
{
    public static string? Connection => Environment.GetEnvironmentVariable("GC_TEST_REDIS");

    public RedisFactAttribute()
    {
        if (string.IsNullOrEmpty(Connection) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            Skip = "GC_TEST_REDIS is not set: run the suite with scripts/test.sh";
    }
}

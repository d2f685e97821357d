namespace GlobalCommerce.EndToEnd.Tests.Faults;

// What a host's readiness endpoint says right now, for a failed scenario's diagnostic: its answer or why there was none.
static class HealthProbe
{
    public static async Task<string> ReadyAsync(Uri address)
    {
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            return await http.GetStringAsync("/health/ready");
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return exception.Message;
        }
    }
}

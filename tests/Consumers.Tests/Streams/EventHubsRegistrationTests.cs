using System.Diagnostics;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Streams;
using GlobalCommerce.Platform.Streams.EventHubs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Tests.Streams;

// Choosing Event Hubs through configuration (Commerce:Streams:Backend=EventHubs), as a host does: the error without a
// connection string, with a malformed one or one naming a single hub, and a backend built from a connection string without contacting the namespace (a fake one on
// 127.0.0.1, where no Event Hubs listens; a reader is opened and closed without a read). Not covered: that the real
// namespace accepts the credentials, which shows only on first use against Azure.
public sealed class EventHubsRegistrationTests
{
    const string FakeNamespace = "Endpoint=sb://127.0.0.1/;SharedAccessKeyName=k;SharedAccessKey=a2V5";

    static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCommerceStreams(configuration, new CommerceOptions());
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task Choosing_Event_Hubs_without_a_connection_string_says_which_setting_to_set()
    {
        await using var services = Build(new() { ["Commerce:Streams:Backend"] = "EventHubs" });

        var error = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<IStreamBackend>());

        Assert.Contains("Commerce:Streams:EventHubsConnection is not set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_string_naming_one_hub_is_refused_since_each_stream_is_a_hub()
    {
        await using var services = Build(new()
        {
            ["Commerce:Streams:Backend"] = "EventHubs",
            ["Commerce:Streams:EventHubsConnection"] = "Endpoint=sb://127.0.0.1/;SharedAccessKeyName=k;SharedAccessKey=a2V5;EntityPath=order-events",
        });

        var error = Assert.Throws<ArgumentException>(() => services.GetRequiredService<IStreamBackend>());

        Assert.Contains("EntityPath", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_connection_string_is_refused_naming_the_setting()
    {
        // As copied with an empty EntityPath: the SDK cannot parse it.
        await using var services = Build(new()
        {
            ["Commerce:Streams:Backend"] = "EventHubs",
            ["Commerce:Streams:EventHubsConnection"] = "Endpoint=sb://127.0.0.1/;SharedAccessKeyName=k;SharedAccessKey=a2V5;EntityPath=",
        });

        var error = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<IStreamBackend>());

        Assert.StartsWith("Commerce:Streams:EventHubsConnection is not the connection string of the Event Hubs namespace", error.Message, StringComparison.Ordinal);
        Assert.IsType<FormatException>(error.InnerException);
    }

    [Fact]
    public async Task With_a_connection_string_the_backend_is_built_and_a_reader_opened_without_contacting_anything()
    {
        await using var services = Build(new()
        {
            ["Commerce:Streams:Backend"] = "EventHubs",
            ["Commerce:Streams:EventHubsConnection"] = FakeNamespace,
        });

        var watch = Stopwatch.StartNew();
        var backend = Assert.IsType<EventHubsStreamBackend>(services.GetRequiredService<IStreamBackend>());
        Assert.Equal("eventhubs", backend.Name);
        Assert.Same(backend, services.GetRequiredService<StreamProducer>().Backend);

        // A connection attempt would fail (nothing listens) or retry for seconds; building clients only parses.
        var reader = await backend.OpenAsync(StreamNames.OrderEvents, 0, 17, CancellationToken.None);
        await reader.DisposeAsync();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }
}

using System.Diagnostics;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Streams;
using GlobalCommerce.Platform.Streams.RabbitMq;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;

namespace GlobalCommerce.Consumers.Tests.Streams;

// The suite's RabbitMQ node (scripts/lib/servers.sh, with the consistent-hash exchange plugin): backends pointed at it,
// a plain AMQP connection to look at or break its topology, and rabbitmqctl bound to it.
public sealed class StreamTestBroker
{
    StreamTestBroker(Uri address, string? ctl)
    {
        Address = address;
        Ctl = ctl;
    }

    public Uri Address { get; }

    public string? Ctl { get; }

    public static StreamTestBroker FromEnvironment()
    {
        var address = Environment.GetEnvironmentVariable("GC_TEST_RABBITMQ") is { Length: > 0 } url
            ? url
            : throw new InvalidOperationException(
                "GC_TEST_RABBITMQ is not set. Run the suite with scripts/test.sh, or start the servers with scripts/servers.sh " +
                "and source DIR/env.");
        return new StreamTestBroker(new Uri(address), Environment.GetEnvironmentVariable("GC_TEST_RABBITMQ_CTL") is { Length: > 0 } ctl ? ctl : null);
    }

    public Uri AddressOf(string virtualHost) => new UriBuilder(Address) { Path = "/" + virtualHost }.Uri;

    public static RabbitMqStreamBackend Backend(Uri address, int batchSize = 100) =>
        new(new StreamOptions { RabbitMqUrl = address.ToString(), BatchSize = batchSize }, new CommerceOptions(), NullLogger<RabbitMqStreamBackend>.Instance);

    public RabbitMqStreamBackend Backend(int batchSize = 100) => Backend(Address, batchSize);

    public static string NewStreamName() => $"t-{Guid.NewGuid():N}";

    public async Task<IConnection> ConnectAsync(Uri? address = null) =>
        await new ConnectionFactory { Uri = address ?? Address }.CreateConnectionAsync();

    // Streams are deleted with their queues (queue.purge is refused on stream queues); deleting what is not there is fine.
    public async Task DeleteStreamAsync(string stream, int partitions, Uri? address = null)
    {
        await using var connection = await ConnectAsync(address);
        await using var channel = await connection.CreateChannelAsync();
        for (var partition = 0; partition <= partitions; partition++)
            await channel.QueueDeleteAsync(RabbitMqStreamTopology.QueueName(stream, partition), ifUnused: false, ifEmpty: false);
        await channel.ExchangeDeleteAsync(stream, ifUnused: false);
    }

    public async Task<string> CtlAsync(params string[] arguments)
    {
        var ctl = Ctl ?? throw new InvalidOperationException("GC_TEST_RABBITMQ_CTL is not set: start the servers with scripts/test.sh or scripts/servers.sh.");
        var start = new ProcessStartInfo(ctl, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', arguments)} exited with {process.ExitCode}: {await stdout}{await stderr}");
        return await stdout;
    }
}

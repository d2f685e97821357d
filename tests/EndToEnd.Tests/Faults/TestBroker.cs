using System.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace GlobalCommerce.EndToEnd.Tests.Faults;

// The suite's RabbitMQ node (scripts/lib/servers.sh): its AMQP address and the rabbitmqctl wrapper bound to it.
public sealed class TestBroker
{
    readonly string _ctl;

    TestBroker(Uri address, string ctl)
    {
        Address = address;
        _ctl = ctl;
    }

    public Uri Address { get; }

    public static TestBroker FromEnvironment()
    {
        var address = Environment.GetEnvironmentVariable("GC_TEST_RABBITMQ")
            ?? throw new InvalidOperationException("GC_TEST_RABBITMQ is not set: run the suite with scripts/test.sh.");
        var ctl = Environment.GetEnvironmentVariable("GC_TEST_RABBITMQ_CTL")
            ?? throw new InvalidOperationException("GC_TEST_RABBITMQ_CTL is not set: start the servers with scripts/test.sh or scripts/servers.sh.");
        return new TestBroker(new Uri(address), ctl);
    }

    public Uri AddressOf(string virtualHost) => new UriBuilder(Address) { Path = "/" + virtualHost }.Uri;

    // Every fault test gets a virtual host of its own: queues are named after consumers, so without it one test's
    // leftover messages (a duplicate still queued, a poison message) would be consumed by the next test's worker.
    public async Task<string> CreateVirtualHostAsync()
    {
        var name = "faults-" + Guid.NewGuid().ToString("N")[..8];
        await CtlAsync("add_vhost", name);
        await CtlAsync("set_permissions", "-p", name, "guest", ".*", ".*", ".*");
        return name;
    }

    public async Task DeleteVirtualHostAsync(string name) => await CtlAsync("delete_vhost", name);

    // The whole node's RabbitMQ application, as in a broker restart; the Erlang VM (and the CLI's access) stays up.
    public async Task StopAppAsync() => await CtlAsync("stop_app");

    public async Task StartAppAsync()
    {
        await CtlAsync("start_app");
        await CtlAsync("await_startup");
    }

    // Passive declare: the queue's ready-message count, 0 while it does not exist yet.
    public async Task<uint> MessageCountAsync(string virtualHost, string queue)
    {
        var factory = new ConnectionFactory { Uri = AddressOf(virtualHost) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 404)
        {
            return 0;
        }
    }

    // Each queue of a virtual host with the number of consumers the broker has on it.
    public async Task<IReadOnlyDictionary<string, int>> ConsumerCountsAsync(string virtualHost)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in (await CtlAsync("list_queues", "-p", virtualHost, "name", "consumers")).Split('\n'))
        {
            var columns = line.Split('\t');
            if (columns.Length == 2 && int.TryParse(columns[1], out var consumers))
                counts[columns[0]] = consumers;
        }

        return counts;
    }

    // What the broker sees of a virtual host, for failure messages: who is connected, and where messages wait.
    public async Task<string> DescribeAsync(string virtualHost) =>
        "connections:\n" + await CtlAsync("list_connections", "-p", virtualHost, "name", "state") +
        "queues (name, ready, unacked, consumers):\n" + await CtlAsync("list_queues", "-p", virtualHost, "name", "messages_ready", "messages_unacknowledged", "consumers");

    async Task<string> CtlAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(_ctl, arguments)
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

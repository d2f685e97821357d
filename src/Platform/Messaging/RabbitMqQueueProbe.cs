using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace GlobalCommerce.Platform.Messaging;

// Asks RabbitMQ for a queue's consumer count with a passive declare (it creates nothing), on a connection of its own:
// the bus's connection is the one under suspicion. Opened on first use and again after it failed.
public sealed class RabbitMqQueueProbe(Uri address) : IBrokerQueueProbe, IAsyncDisposable
{
    const ushort NotFound = 404;

    readonly SemaphoreSlim _gate = new(1, 1);
    readonly ConnectionFactory _factory = new()
    {
        Uri = address,
        AutomaticRecoveryEnabled = false,
        RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
    };

    IConnection? _connection;

    public async Task<uint?> ConsumerCountAsync(string queue, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_connection is not { IsOpen: true })
            {
                if (_connection is not null)
                    await _connection.DisposeAsync();
                _connection = await _factory.CreateConnectionAsync($"{AppDomain.CurrentDomain.FriendlyName} consumer watchdog", cancellationToken);
            }

            // A channel per question: the broker closes the channel on which a passive declare names a missing queue.
            await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
            var declared = await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
            return declared.ConsumerCount;
        }
        catch (OperationInterruptedException interrupted) when (interrupted.ShutdownReason?.ReplyCode == NotFound)
        {
            // The queue is gone: nobody consumes it. The bus declares its queues when its endpoints start.
            return 0;
        }
        catch (Exception exception) when (exception is BrokerUnreachableException or AlreadyClosedException or OperationInterruptedException
                                              or IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return null;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
            await _connection.DisposeAsync();
        _gate.Dispose();
    }
}

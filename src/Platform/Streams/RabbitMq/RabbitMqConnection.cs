using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace GlobalCommerce.Platform.Streams.RabbitMq;

// One long-lived AMQP connection, opened on first use. The client recovers it (and its channels) after a network
// failure; consumers are not re-registered (no topology recovery): a reader that lost its channel fails, and the
// engine opens it again from its checkpoint rather than from the offset it was first opened at.
sealed partial class RabbitMqConnection(ConnectionFactory factory, string role, ILogger logger) : IAsyncDisposable
{
    readonly SemaphoreSlim _gate = new(1, 1);
    IConnection? _connection;
    bool _disposed;

    // The broker as logs may show it: host, port and virtual host, never the credentials.
    public string Endpoint { get; } = $"{factory.HostName}:{factory.Port}{(factory.VirtualHost.StartsWith('/') ? "" : "/")}{factory.VirtualHost}";

    // How long a caller waits for a connection the client is recovering (it retries every NetworkRecoveryInterval, 2 s).
    static readonly TimeSpan RecoveryWait = TimeSpan.FromSeconds(10);

    public async ValueTask<IConnection> GetAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _connection) is { } existing)
            return existing.IsOpen ? existing : await RecoveredAsync(existing, cancellationToken);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connection is not null)
                return _connection;
            var connection = await factory.CreateConnectionAsync($"{AppDomain.CurrentDomain.FriendlyName} streams {role}", cancellationToken);
            connection.ConnectionShutdownAsync += OnShutdownAsync;
            connection.RecoverySucceededAsync += OnRecoveredAsync;
            connection.ConnectionRecoveryErrorAsync += OnRecoveryErrorAsync;
            LogConnected(logger, role, Endpoint);
            Volatile.Write(ref _connection, connection);
            return connection;
        }
        finally
        {
            _gate.Release();
        }
    }

    // The broker closed the connection (a network failure, or a protocol error such as 504 CHANNEL_ERROR when a publish
    // raced the broker's close of its channel), and the client is opening it again: a caller waits for that rather than
    // fail at once on a closed connection. Past RecoveryWait the connection is returned as it is, and the caller's
    // operation fails as before (the relays and readers retry).
    async ValueTask<IConnection> RecoveredAsync(IConnection connection, CancellationToken cancellationToken)
    {
        var until = Environment.TickCount64 + (long)RecoveryWait.TotalMilliseconds;
        while (!connection.IsOpen && Environment.TickCount64 < until && !Volatile.Read(ref _disposed))
            await Task.Delay(50, cancellationToken);
        return connection;
    }

    Task OnShutdownAsync(object sender, ShutdownEventArgs reason)
    {
        if (reason.Initiator != ShutdownInitiator.Application)
            LogConnectionLost(logger, role, Endpoint, reason.ReplyCode, reason.ReplyText);
        return Task.CompletedTask;
    }

    Task OnRecoveredAsync(object sender, AsyncEventArgs args)
    {
        LogRecovered(logger, role, Endpoint);
        return Task.CompletedTask;
    }

    Task OnRecoveryErrorAsync(object sender, ConnectionRecoveryErrorEventArgs args)
    {
        LogRecoveryFailed(logger, args.Exception, role, Endpoint);
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            _disposed = true;
            if (_connection is null)
                return;
            try
            {
                await _connection.CloseAsync();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogCloseFailed(logger, exception, role, Endpoint);
            }

            await _connection.DisposeAsync();
            _connection = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream {Role} connection to RabbitMQ {Endpoint} open")]
    static partial void LogConnected(ILogger logger, string role, string endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {Role} connection to RabbitMQ {Endpoint} lost ({ReplyCode} {ReplyText}); recovering")]
    static partial void LogConnectionLost(ILogger logger, string role, string endpoint, ushort replyCode, string replyText);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream {Role} connection to RabbitMQ {Endpoint} recovered")]
    static partial void LogRecovered(ILogger logger, string role, string endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {Role} connection to RabbitMQ {Endpoint}: recovery attempt failed; retrying")]
    static partial void LogRecoveryFailed(ILogger logger, Exception exception, string role, string endpoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stream {Role} connection to RabbitMQ {Endpoint} did not close cleanly")]
    static partial void LogCloseFailed(ILogger logger, Exception exception, string role, string endpoint);
}

using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace GlobalCommerce.Platform.Streams.RabbitMq;

// One consumer on one stream queue, on a channel of its own. Deliveries wait in a buffer as large as the prefetch, so
// the client's dispatcher never blocks; what ReadAsync hands out is acked at once (multiple), which on a stream queue
// only returns credit: where to start again is the engine's checkpoint, never the broker's. A lost channel or a
// consumer the broker cancelled (queue deleted) fails ReadAsync once the events already buffered are handed out.
sealed partial class RabbitMqPartitionReader : IPartitionReader
{
    readonly IChannel _channel;
    readonly string _stream;
    readonly int _partition;
    readonly string _queue;
    readonly long? _from;
    readonly ILogger _logger;
    readonly Channel<Delivery> _buffer;
    readonly CancellationTokenSource _closing = new();
    string? _consumerTag;
    long _skipped;
    int _disposed;

    RabbitMqPartitionReader(IChannel channel, string stream, int partition, long? from, int capacity, ILogger logger)
    {
        _channel = channel;
        _stream = stream;
        _partition = partition;
        _queue = RabbitMqStreamTopology.QueueName(stream, partition);
        _from = from;
        _logger = logger;
        _buffer = Channel.CreateBounded<Delivery>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public static async Task<RabbitMqPartitionReader> OpenAsync(
        IConnection connection, string stream, int partition, long? from, ushort prefetch, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        if (from < 0)
            throw new ArgumentOutOfRangeException(nameof(from), from, "An offset is never negative.");
        var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var reader = new RabbitMqPartitionReader(channel, stream, partition, from, prefetch, logger);
        try
        {
            channel.ChannelShutdownAsync += reader.OnChannelShutdownAsync;
            await channel.BasicQosAsync(prefetchSize: 0, prefetchCount: prefetch, global: false, cancellationToken);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += reader.OnReceivedAsync;
            consumer.UnregisteredAsync += reader.OnUnregisteredAsync;
            var arguments = new Dictionary<string, object?>
            {
                [RabbitMqStreamHeaders.StreamOffset] = from is { } offset ? offset : "first",
            };
            reader._consumerTag = await channel.BasicConsumeAsync(reader._queue, autoAck: false, consumerTag: "", noLocal: false,
                exclusive: false, arguments, consumer, cancellationToken);
            LogOpened(logger, reader._queue, from?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "first");
            return reader;
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == Constants.NotFound)
        {
            await reader.DisposeAsync();
            throw new RabbitMqStreamException(
                $"Stream '{stream}' has no partition {partition} on RabbitMQ (no queue '{reader._queue}'): declare the stream first " +
                "(IStreamBackend.EnsureStreamsAsync) with as many partitions as are read.",
                exception);
        }
        catch
        {
            await reader.DisposeAsync();
            throw;
        }
    }

    public async ValueTask<IReadOnlyList<StreamEnvelope>> ReadAsync(int max, TimeSpan wait, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var buffered = _buffer.Reader;
        if (!buffered.TryPeek(out _))
        {
            if (buffered.Completion.IsCompleted)
                await buffered.Completion;
            if (wait <= TimeSpan.Zero)
                return [];
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(wait);
            try
            {
                if (!await buffered.WaitToReadAsync(timeout.Token))
                {
                    await buffered.Completion;
                    throw new ObjectDisposedException(nameof(RabbitMqPartitionReader));
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return [];
            }
        }

        var events = new List<StreamEnvelope>(Math.Min(max, Math.Max(buffered.Count, 1)));
        ulong lastTag = 0;
        while (events.Count < max && buffered.TryRead(out var delivery))
        {
            events.Add(delivery.Envelope);
            lastTag = delivery.Tag;
        }

        if (lastTag != 0 && _channel.IsOpen)
        {
            try
            {
                await _channel.BasicAckAsync(lastTag, multiple: true, cancellationToken);
            }
            catch (AlreadyClosedException)
            {
                // The channel went while these were buffered: they are still the partition's events in order; the
                // next read reports the loss.
            }
        }

        return events;
    }

    async Task OnReceivedAsync(object sender, BasicDeliverEventArgs delivery)
    {
        StreamEnvelope envelope;
        try
        {
            envelope = Envelope(delivery);
        }
        catch (FormatException exception)
        {
            Fail(new RabbitMqStreamException($"A delivery from stream queue '{_queue}' could not be read: {exception.Message}", exception));
            return;
        }

        // The broker starts a consumer at the chunk that holds the requested offset; anything before it is not ours.
        if (envelope.Offset < _from)
        {
            _skipped++;
            await _channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, delivery.CancellationToken);
            return;
        }

        if (_skipped > 0)
        {
            LogSkipped(_logger, _queue, _skipped, _from!.Value);
            _skipped = 0;
        }

        try
        {
            await _buffer.Writer.WriteAsync(new Delivery(delivery.DeliveryTag, envelope), _closing.Token);
        }
        catch (Exception exception) when (exception is ChannelClosedException or OperationCanceledException)
        {
            // Disposed or failed while this delivery waited: nobody reads it.
        }
    }

    Task OnChannelShutdownAsync(object sender, ShutdownEventArgs reason)
    {
        if (reason.Initiator != ShutdownInitiator.Application)
        {
            LogLost(_logger, _queue, reason.ReplyCode, reason.ReplyText);
            Fail(new RabbitMqStreamException(
                $"The reader of stream queue '{_queue}' lost its channel ({reason.ReplyCode} {reason.ReplyText}); open it again from the checkpoint."));
        }

        return Task.CompletedTask;
    }

    // Raised for our own cancel too; only a cancel we did not ask for (the queue was deleted) is a failure.
    Task OnUnregisteredAsync(object sender, ConsumerEventArgs args)
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            LogCancelled(_logger, _queue);
            Fail(new RabbitMqStreamException($"RabbitMQ cancelled the reader of stream queue '{_queue}' (was the queue deleted?)."));
        }

        return Task.CompletedTask;
    }

    void Fail(Exception exception) => _buffer.Writer.TryComplete(exception);

    StreamEnvelope Envelope(BasicDeliverEventArgs delivery)
    {
        var properties = delivery.BasicProperties;
        var headers = properties.Headers;
        var offset = Header(headers, RabbitMqStreamHeaders.StreamOffset) switch
        {
            long value => value,
            int value => value,
            ulong value => (long)value,
            uint value => value,
            null => throw new FormatException($"no {RabbitMqStreamHeaders.StreamOffset} header (is '{_queue}' a stream queue?)"),
            var other => throw new FormatException($"{RabbitMqStreamHeaders.StreamOffset} header of type {other.GetType().Name}"),
        };
        var eventId = Text(headers, RabbitMqStreamHeaders.EventId) ?? properties.MessageId;
        var timestamp = Header(headers, RabbitMqStreamHeaders.Timestamp) is long milliseconds
            ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds)
            : DateTimeOffset.FromUnixTimeSeconds(properties.Timestamp.UnixTime);
        return new StreamEnvelope(
            _stream,
            _partition,
            offset,
            Guid.TryParse(eventId, out var id) ? id : Guid.Empty,
            Text(headers, RabbitMqStreamHeaders.PartitionKey) ?? delivery.RoutingKey,
            Text(headers, RabbitMqStreamHeaders.MessageType) ?? properties.Type ?? "",
            timestamp,
            delivery.Body.ToArray(),
            Text(headers, RabbitMqStreamHeaders.TraceParent));
    }

    static object? Header(IDictionary<string, object?>? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value) ? value : null;

    static string? Text(IDictionary<string, object?>? headers, string name) => Header(headers, name) switch
    {
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        string text => text,
        _ => null,
    };

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _buffer.Writer.TryComplete();
        await _closing.CancelAsync();
        if (_channel.IsOpen)
        {
            try
            {
                if (_consumerTag is not null)
                    await _channel.BasicCancelAsync(_consumerTag, noWait: false);
                await _channel.CloseAsync();
            }
            catch (Exception exception) when (exception is OperationInterruptedException or AlreadyClosedException)
            {
                // Gone already (a connection loss): nothing to cancel.
            }
        }

        await _channel.DisposeAsync();
        _closing.Dispose();
    }

    readonly record struct Delivery(ulong Tag, StreamEnvelope Envelope);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reading stream queue {Queue} from {From}")]
    static partial void LogOpened(ILogger logger, string queue, string from);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stream queue {Queue}: skipped {Count} events before offset {From}")]
    static partial void LogSkipped(ILogger logger, string queue, long count, long from);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reader of stream queue {Queue} lost its channel ({ReplyCode} {ReplyText})")]
    static partial void LogLost(ILogger logger, string queue, ushort replyCode, string replyText);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RabbitMQ cancelled the reader of stream queue {Queue}")]
    static partial void LogCancelled(ILogger logger, string queue);
}

using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace GlobalCommerce.Platform.Streams.RabbitMq;

// Streams on RabbitMQ stream queues over AMQP 0-9-1 (RabbitMQ.Stream.Client is not available here). Producing and
// reading use separate connections, as RabbitMQ advises: a publisher held back by flow control must not stall the acks
// that keep readers' credit flowing.
public sealed partial class RabbitMqStreamBackend : IStreamBackend, IAsyncDisposable
{
    // Events of one partition key go through one channel, in the order given; more channels let the broker take
    // confirms for different keys in parallel.
    const int ProducerChannels = 2;

    // Publishes waiting for their confirm, per channel, in chunks: enough to keep the link busy (a relay batch of 500
    // is in flight at once), few enough that the client's bookkeeping stays cheap (each multiple-ack walks every
    // outstanding confirm). A chunk, not each publish, waits for room: one wake-up per 128 confirms.
    const int ChunkSize = 128;
    const int ChunksInFlight = 4;

    readonly RabbitMqConnection _producing;
    readonly RabbitMqConnection _reading;
    readonly ProducerChannel[] _producers;
    readonly ConcurrentDictionary<string, byte> _streamsSeen = new(StringComparer.Ordinal);
    readonly ushort _prefetch;
    readonly ILogger<RabbitMqStreamBackend> _logger;

    public RabbitMqStreamBackend(StreamOptions options, CommerceOptions commerce, ILogger<RabbitMqStreamBackend> logger)
    {
        var factory = new ConnectionFactory
        {
            Uri = new Uri(options.RabbitMqUrl ?? commerce.RabbitMqUrl),
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = false,
            NetworkRecoveryInterval = TimeSpan.FromSeconds(2),
        };
        _producing = new RabbitMqConnection(factory, "producer", logger);
        _reading = new RabbitMqConnection(factory, "reader", logger);
        _producers = [.. Enumerable.Range(0, ProducerChannels).Select(_ => new ProducerChannel())];
        _prefetch = RabbitMqStreamTopology.Prefetch(options.BatchSize);
        _logger = logger;
    }

    public string Name => "rabbitmq-streams";

    public async Task EnsureStreamsAsync(IReadOnlyList<StreamDefinition> streams, CancellationToken cancellationToken)
    {
        var connection = await _producing.GetAsync(cancellationToken);
        foreach (var stream in streams)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(stream.Partitions, 1, nameof(stream));
            var arguments = RabbitMqStreamTopology.QueueArguments(stream);

            // Each step gets a fresh channel: a refused declare closes the channel it was made on.
            await DeclareAsync(connection, $"exchange '{stream.Name}'", cancellationToken, channel =>
                channel.ExchangeDeclareAsync(stream.Name, RabbitMqStreamTopology.ExchangeType, durable: true, autoDelete: false,
                    cancellationToken: cancellationToken));
            await RefuseExtraPartitionAsync(connection, stream, cancellationToken);
            for (var partition = 0; partition < stream.Partitions; partition++)
            {
                var queue = RabbitMqStreamTopology.QueueName(stream.Name, partition);
                await DeclareAsync(connection, $"stream queue '{queue}'", cancellationToken, async channel =>
                {
                    await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments,
                        cancellationToken: cancellationToken);
                    await channel.QueueBindAsync(queue, stream.Name, RabbitMqStreamTopology.PartitionWeight, cancellationToken: cancellationToken);
                });
            }

            _streamsSeen[stream.Name] = 0;
            LogStreamReady(_logger, stream.Name, stream.Partitions, (string)arguments["x-max-age"]!);
        }
    }

    public async Task ProduceAsync(IReadOnlyList<StreamRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
            return;
        var connection = await _producing.GetAsync(cancellationToken);
        foreach (var stream in records.Select(r => r.Stream).Distinct(StringComparer.Ordinal))
            await RequireStreamAsync(connection, stream, cancellationToken);

        var lanes = new List<StreamRecord>?[_producers.Length];
        foreach (var record in records)
        {
            var lane = (int)((uint)StringComparer.Ordinal.GetHashCode(record.PartitionKey) % (uint)_producers.Length);
            (lanes[lane] ??= []).Add(record);
        }

        var failures = new ConcurrentQueue<(StreamRecord Record, Exception Error)>();
        var published = new List<Task>(_producers.Length);
        for (var lane = 0; lane < lanes.Length; lane++)
        {
            if (lanes[lane] is { } laneRecords)
                published.Add(_producers[lane].PublishAsync(connection, laneRecords, failures, cancellationToken));
        }

        await Task.WhenAll(published);
        if (failures.IsEmpty)
            return;
        cancellationToken.ThrowIfCancellationRequested();
        throw ProduceFailed(records.Count, [.. failures]);
    }

    public async Task<IPartitionReader> OpenAsync(string stream, int partition, long? from, CancellationToken cancellationToken)
    {
        var connection = await _reading.GetAsync(cancellationToken);
        return await RabbitMqPartitionReader.OpenAsync(connection, stream, partition, from, _prefetch, _logger, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var producer in _producers)
            await producer.DisposeAsync();
        await _producing.DisposeAsync();
        await _reading.DisposeAsync();
    }

    // A publish to a missing exchange closes the channel, failing every other batch in flight on it: look once per
    // stream and process, and say plainly what is missing.
    async Task RequireStreamAsync(IConnection connection, string stream, CancellationToken cancellationToken)
    {
        if (_streamsSeen.ContainsKey(stream))
            return;
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            await channel.ExchangeDeclarePassiveAsync(stream, cancellationToken);
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == Constants.NotFound)
        {
            throw new RabbitMqStreamException(
                $"Stream '{stream}' does not exist on RabbitMQ {_producing.Endpoint} (no exchange '{stream}'): nothing was produced. " +
                "Declare it first (IStreamBackend.EnsureStreamsAsync, which the stream host runs at start-up for every registered stream).",
                exception);
        }

        _streamsSeen[stream] = 0;
    }

    // A queue numbered past the configured partitions is still bound to the exchange: its share of the keys would go
    // where no reader looks.
    async Task RefuseExtraPartitionAsync(IConnection connection, StreamDefinition stream, CancellationToken cancellationToken)
    {
        var extra = RabbitMqStreamTopology.QueueName(stream.Name, stream.Partitions);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            await channel.QueueDeclarePassiveAsync(extra, cancellationToken);
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == Constants.NotFound)
        {
            return;
        }

        throw new RabbitMqStreamException(
            $"Stream '{stream.Name}' has a queue '{extra}' beyond its {stream.Partitions} configured partitions; the exchange still routes " +
            $"part of the keys there and nobody reads it. Set Commerce:Streams:Partitions back to the number of '{stream.Name}.N' queues, " +
            $"or delete the stream's queues and exchange (its events are lost) and let the host declare them again.");
    }

    async Task DeclareAsync(IConnection connection, string what, CancellationToken cancellationToken, Func<IChannel, Task> declare)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            await declare(channel);
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == Constants.PreconditionFailed)
        {
            throw new RabbitMqStreamException(
                $"RabbitMQ {_producing.Endpoint} already has {what} declared differently: {exception.ShutdownReason.ReplyText}. " +
                "RabbitMQ never changes the arguments of an existing queue or exchange. Either align the configuration with it " +
                "(Commerce:Streams Retention/DefaultRetention give x-max-age, Partitions the number of queues), or delete it " +
                "(rabbitmqctl delete_queue / delete_exchange; a stream queue's events go with it) and let the host declare it again.",
                exception);
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == Constants.CommandInvalid)
        {
            throw new RabbitMqStreamException(
                $"RabbitMQ {_producing.Endpoint} refused {what}: {exception.ShutdownReason.ReplyText}. Streams route partition keys through " +
                $"an {RabbitMqStreamTopology.ExchangeType} exchange: enable its plugin (rabbitmq-plugins enable rabbitmq_consistent_hash_exchange).",
                exception);
        }
    }

    RabbitMqStreamException ProduceFailed(int total, IReadOnlyList<(StreamRecord Record, Exception Error)> failures)
    {
        var (record, error) = failures[0];
        var reason = error switch
        {
            PublishReturnException returned =>
                $"unroutable: exchange '{returned.Exchange}' returned it ({returned.ReplyCode} {returned.ReplyText}); are its stream queues bound?",
            PublishException { IsReturn: true } => $"unroutable: exchange '{record.Stream}' has no queue for it; are its stream queues bound?",
            PublishException => "the broker refused it (basic.nack)",
            OperationInterruptedException { ShutdownReason: { } reasonOf } =>
                $"the channel closed before the broker confirmed it ({reasonOf.ReplyCode} {reasonOf.ReplyText})",
            OperationCanceledException => "cancelled before the broker confirmed it",
            _ => error.Message,
        };
        LogProduceFailed(_logger, error, failures.Count, total, record.Stream);
        return new RabbitMqStreamException(
            $"{failures.Count} of {total} events were not confirmed by RabbitMQ {_producing.Endpoint}; the first, {record.EventId} on stream " +
            $"'{record.Stream}' (key '{record.PartitionKey}'): {reason}. The others may be on the stream: produce the batch again (same EventIds).",
            error);
    }

    internal static BasicProperties Properties(StreamRecord record)
    {
        var headers = new Dictionary<string, object?>(5, StringComparer.Ordinal)
        {
            [RabbitMqStreamHeaders.PartitionKey] = Encoding.UTF8.GetBytes(record.PartitionKey),
            [RabbitMqStreamHeaders.MessageType] = Encoding.UTF8.GetBytes(record.MessageType),
            [RabbitMqStreamHeaders.EventId] = Encoding.UTF8.GetBytes(record.EventId.ToString()),
            [RabbitMqStreamHeaders.Timestamp] = record.Timestamp.ToUnixTimeMilliseconds(),
        };
        if (record.TraceParent is { } traceParent)
            headers[RabbitMqStreamHeaders.TraceParent] = Encoding.UTF8.GetBytes(traceParent);
        return new BasicProperties
        {
            DeliveryMode = DeliveryModes.Persistent,
            MessageId = record.EventId.ToString(),
            Type = record.MessageType,
            Timestamp = new AmqpTimestamp(record.Timestamp.ToUnixTimeSeconds()),
            Headers = headers,
        };
    }

    // One publishing channel with confirms tracked by the client: BasicPublishAsync completes when the broker confirmed
    // (or fails on a nack, a return of a mandatory publish, or the channel closing). Publishes are started one after the
    // other and awaited together: the client sends them in the order they were started (a FIFO lock per channel), so
    // a lane keeps each key's order with up to ChunksInFlight × ChunkSize confirms outstanding. The client's own limiter
    // is off: it delays publishes by hundreds of milliseconds once half its 128 permits are taken.
    sealed class ProducerChannel : IAsyncDisposable
    {
        static readonly CreateChannelOptions Options = new(
            publisherConfirmationsEnabled: true,
            publisherConfirmationTrackingEnabled: true,
            outstandingPublisherConfirmationsRateLimiter: null);

        readonly SemaphoreSlim _gate = new(1, 1);
        readonly SemaphoreSlim _chunks = new(ChunksInFlight, ChunksInFlight);
        IChannel? _channel;

        public async Task PublishAsync(
            IConnection connection,
            List<StreamRecord> records,
            ConcurrentQueue<(StreamRecord, Exception)> failures,
            CancellationToken cancellationToken)
        {
            var channel = await OpenAsync(connection, cancellationToken);
            var pending = new List<Task>(records.Count / ChunkSize + 1);

            // After a failure the channel is usually gone; stop rather than fail the rest one by one.
            for (var start = 0; start < records.Count && failures.IsEmpty; start += ChunkSize)
            {
                await _chunks.WaitAsync(cancellationToken);
                pending.Add(PublishChunkAsync(channel, records, start, Math.Min(ChunkSize, records.Count - start), failures, cancellationToken));
            }

            await Task.WhenAll(pending);
        }

        // Starts every publish of the chunk before it first yields, so they are sent in the order given.
        async Task PublishChunkAsync(IChannel channel, List<StreamRecord> records, int start, int count,
            ConcurrentQueue<(StreamRecord, Exception)> failures, CancellationToken cancellationToken)
        {
            try
            {
                var confirms = new Task[count];
                for (var i = 0; i < count; i++)
                    confirms[i] = PublishOneAsync(channel, records[start + i], failures, cancellationToken);
                await Task.WhenAll(confirms);
            }
            finally
            {
                _chunks.Release();
            }
        }

        static async Task PublishOneAsync(IChannel channel, StreamRecord record, ConcurrentQueue<(StreamRecord, Exception)> failures,
            CancellationToken cancellationToken)
        {
            try
            {
                await channel.BasicPublishAsync(record.Stream, record.PartitionKey, mandatory: true, Properties(record), record.Body,
                    cancellationToken);
            }
            catch (Exception exception)
            {
                failures.Enqueue((record, exception));
            }
        }

        async ValueTask<IChannel> OpenAsync(IConnection connection, CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref _channel) is { IsOpen: true } open)
                return open;
            await _gate.WaitAsync(cancellationToken);
            try
            {
                if (_channel is { IsOpen: true })
                    return _channel;
                if (_channel is not null)
                {
                    // Closed by the broker (a channel error) or by a connection loss; a recovered connection gives a new one.
                    await _channel.DisposeAsync();
                    _channel = null;
                }

                var channel = await connection.CreateChannelAsync(Options, cancellationToken);
                Volatile.Write(ref _channel, channel);
                return channel;
            }
            finally
            {
                _gate.Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _gate.WaitAsync();
            try
            {
                if (_channel is null)
                    return;
                if (_channel.IsOpen)
                {
                    try
                    {
                        await _channel.CloseAsync();
                    }
                    catch (Exception exception) when (exception is OperationInterruptedException or AlreadyClosedException)
                    {
                        // Already going: nothing of ours is waiting on it.
                    }
                }

                await _channel.DisposeAsync();
                _channel = null;
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream {Stream} ready on RabbitMQ: {Partitions} stream queues, x-max-age {MaxAge}")]
    static partial void LogStreamReady(ILogger logger, string stream, int partitions, string maxAge);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Failed} of {Total} events for stream {Stream} were not confirmed by RabbitMQ")]
    static partial void LogProduceFailed(ILogger logger, Exception exception, int failed, int total, string stream);
}

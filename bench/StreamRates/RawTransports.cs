using Microsoft.Data.Sqlite;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace GlobalCommerce.Bench.StreamRates;

// The embedded backend's transport without the stream layer: rows into a SQLite file in transactions of 500 with one
// prepared insert, read back in pages of 100 by primary key.
public sealed class RawSqlite(BenchArgs options) : IRawTransport
{
    readonly string _connection = new SqliteConnectionStringBuilder { DataSource = Path.Combine(options.Directory, "raw.db"), Pooling = true }.ToString();

    public async Task ProduceAsync(Progress progress)
    {
        await using var connection = new SqliteConnection(_connection);
        await connection.OpenAsync();
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE raw (id INTEGER PRIMARY KEY AUTOINCREMENT, k TEXT NOT NULL, body BLOB NOT NULL)";
            await create.ExecuteNonQueryAsync();
        }

        var body = new byte[options.Size];
        for (var start = 0; start < options.Events; start += 500)
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO raw (k, body) VALUES ($k, $b)";
            var key = insert.Parameters.Add("$k", SqliteType.Text);
            insert.Parameters.AddWithValue("$b", body);
            var count = Math.Min(500, options.Events - start);
            for (var i = 0; i < count; i++)
            {
                key.Value = $"k{(start + i) % options.Keys}";
                await insert.ExecuteNonQueryAsync();
            }

            await transaction.CommitAsync();
            progress.Add(count);
        }
    }

    public async Task ConsumeAsync(Progress progress)
    {
        await using var connection = new SqliteConnection(_connection);
        await connection.OpenAsync();
        long next = 0;
        var read = 0;
        while (read < options.Events)
        {
            await using var query = connection.CreateCommand();
            query.CommandText = "SELECT id, k, body FROM raw WHERE id >= $next ORDER BY id LIMIT 100";
            query.Parameters.AddWithValue("$next", next);
            await using var reader = await query.ExecuteReaderAsync();
            var page = 0;
            while (await reader.ReadAsync())
            {
                next = reader.GetInt64(0) + 1;
                _ = reader.GetString(1);
                _ = (byte[])reader.GetValue(2);
                page++;
            }

            read += page;
            progress.Add(page);
        }
    }
}

// RabbitMQ without the stream layer: one stream queue, publishes with confirms pipelined on one channel (up to 1,000
// outstanding), and one basic.consume from the first offset with a prefetch of 1,000 and an ack every 100.
public sealed class RawRabbitMq(BenchArgs options) : IRawTransport, IAsyncDisposable
{
    readonly string _queue = $"bench-raw-{Guid.NewGuid():N}";
    IConnection? _connection;

    async Task<IConnection> ConnectAsync() =>
        _connection ??= await new ConnectionFactory { Uri = new Uri(options.Rabbit!), ClientProvidedName = "bench-streams" }.CreateConnectionAsync();

    public async Task ProduceAsync(Progress progress)
    {
        var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true, outstandingPublisherConfirmationsRateLimiter: null));
        await channel.QueueDeclareAsync(_queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "stream" });
        var body = new byte[options.Size];
        var window = new SemaphoreSlim(1000, 1000);
        var pending = new List<Task>(options.Events);
        for (var i = 0; i < options.Events; i++)
        {
            await window.WaitAsync();
            var properties = new BasicProperties { Persistent = true, MessageId = Guid.NewGuid().ToString("N") };
            pending.Add(Publish(channel.BasicPublishAsync(string.Empty, _queue, mandatory: true, properties, body).AsTask()));
        }

        await Task.WhenAll(pending);

        async Task Publish(Task publish)
        {
            try
            {
                await publish;
                progress.Add(1);
            }
            finally
            {
                window.Release();
            }
        }
    }

    public async Task ConsumeAsync(Progress progress)
    {
        var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.BasicQosAsync(0, 1000, false);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var count = 0;
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            _ = delivery.BasicProperties.Headers is { } headers && headers.ContainsKey("x-stream-offset");
            count++;
            if (count % 100 == 0 || count == options.Events)
            {
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: true);
                progress.Add(count % 100 == 0 ? 100 : count % 100);
            }

            if (count == options.Events)
                done.TrySetResult();
        };
        var tag = await channel.BasicConsumeAsync(_queue, autoAck: false, consumerTag: string.Empty, noLocal: false, exclusive: false,
            arguments: new Dictionary<string, object?> { ["x-stream-offset"] = "first" }, consumer);
        await done.Task;
        await channel.BasicCancelAsync(tag);
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is null)
            return;
        await using (var channel = await _connection.CreateChannelAsync())
            await channel.QueueDeleteAsync(_queue, ifUnused: false, ifEmpty: false);
        await _connection.DisposeAsync();
    }
}

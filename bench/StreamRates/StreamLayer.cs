using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Bench.StreamRates;

public sealed record BenchEvent(string Key, long Sequence, string Payload);

public sealed class BenchDbContext(DbContextOptions<BenchDbContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddStreamTables();
}

public sealed class CountingConsumer(EventCount count) : IStreamBatchConsumer<BenchEvent>
{
    public Task Consume(StreamBatch<BenchEvent> batch)
    {
        count.Add(batch.Count);
        return Task.CompletedTask;
    }
}

public sealed class EventCount
{
    long _value;

    public Progress? Progress { get; set; }

    public long Value => Interlocked.Read(ref _value);

    public void Add(int count)
    {
        Interlocked.Add(ref _value, count);
        Progress?.Add(count);
    }
}

// The stream layer as the platform uses it: the backend the host would pick, produced to in batches of 500 (what the
// outbox relay hands over), then read by a consumer group through the engine (leases, checkpoints in a SQLite domain
// database, 8 partitions, batches of 100) with a consumer that only counts.
public sealed class StreamLayer(BenchArgs options, string backend)
{
    readonly string _stream = $"bench-{Guid.NewGuid().ToString("N")[..8]}";
    IHost? _host;

    IHost Build(bool consume)
    {
        var commerce = new CommerceOptions
        {
            Mode = backend == "embedded" ? CommerceMode.Embedded : CommerceMode.Distributed,
            DatabaseProvider = DatabaseProvider.Sqlite,
            DataDirectory = Path.Combine(options.Directory, backend),
            RabbitMqUrl = options.Rabbit ?? "amqp://127.0.0.1/",
        };
        Directory.CreateDirectory(commerce.DataDirectory);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Commerce:Streams:Backend"] = backend == "embedded" ? "Embedded" : "RabbitMqStreams",
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<EventCount>();
        builder.Services.AddDomainDbContext<BenchDbContext>(commerce, consume ? "bench-consume" : "bench-produce");
        var streams = builder.Services.AddCommerceStreams(builder.Configuration, commerce).Produce<BenchEvent>(_stream);
        if (consume)
            streams.TopicEndpoint<BenchDbContext>(_stream, "bench", e => e.Consumer<CountingConsumer>());
        return builder.Build();
    }

    public async Task ProduceAsync(Progress progress)
    {
        _host = Build(consume: false);
        var producer = _host.Services.GetRequiredService<StreamProducer>();
        await producer.EnsureStreamsAsync();
        var payload = new string('x', Math.Max(options.Size - 40, 1));
        for (var start = 0; start < options.Events; start += 500)
        {
            var count = Math.Min(500, options.Events - start);
            var records = new List<StreamRecord>(count);
            for (var i = start; i < start + count; i++)
            {
                var key = $"k{i % options.Keys}";
                records.Add(new StreamRecord(Guid.NewGuid(), _stream, key, StreamSerializer.TypeName(typeof(BenchEvent)),
                    StreamSerializer.SerializeToUtf8(new BenchEvent(key, i, payload)), DateTimeOffset.UtcNow, null));
            }

            await producer.ProduceAsync(records, CancellationToken.None);
            progress.Add(count);
        }

        await DisposeHostAsync();
    }

    public async Task ConsumeAsync(Progress progress)
    {
        _host = Build(consume: true);
        var count = _host.Services.GetRequiredService<EventCount>();
        count.Progress = progress;
        await using (var scope = _host.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<BenchDbContext>().Database.EnsureCreatedAsync();
        await _host.StartAsync();
        while (count.Value < options.Events)
            await Task.Delay(20);
    }

    public async Task CleanUpAsync()
    {
        await DisposeHostAsync();
        if (backend != "rabbitmq")
            return;
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(options.Rabbit!) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        for (var p = 0; p < 8; p++)
            await channel.QueueDeleteAsync($"{_stream}.{p}", ifUnused: false, ifEmpty: false);
        await channel.ExchangeDeleteAsync(_stream);
    }

    async Task DisposeHostAsync()
    {
        if (_host is null)
            return;
        await _host.StopAsync();
        _host.Dispose();
        _host = null;
    }
}

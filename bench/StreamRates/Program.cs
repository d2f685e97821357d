using System.Diagnostics;
using System.Globalization;
using GlobalCommerce.Bench.StreamRates;

// The stream benchmark: per backend, the raw transport's produce and consume rates, then the stream layer's, measured in
// the same run on the same machine, and the ratio. bench/streams.sh starts the RabbitMQ it needs.
var options = BenchArgs.Parse(args);
if (options is null)
{
    Console.WriteLine(BenchArgs.Usage);
    return 0;
}

var results = new List<Result>();
foreach (var backend in options.Backends)
{
    Console.Error.WriteLine($"[streams] {backend}: {options.Events:N0} events of {options.Size} bytes over {options.Keys} keys");
    IRawTransport raw = backend == "embedded" ? new RawSqlite(options) : new RawRabbitMq(options);
    await using (raw as IAsyncDisposable)
    {
        var rawProduce = await Measure($"{backend} raw produce", options.Events, raw.ProduceAsync);
        var rawConsume = await Measure($"{backend} raw consume", options.Events, raw.ConsumeAsync);
        var layer = new StreamLayer(options, backend);
        var produce = await Measure($"{backend} stream produce", options.Events, layer.ProduceAsync);
        var consume = await Measure($"{backend} stream consume (engine)", options.Events, layer.ConsumeAsync);
        await layer.CleanUpAsync();
        results.Add(new Result(backend, "produce", rawProduce, produce));
        results.Add(new Result(backend, "consume", rawConsume, consume));
    }
}

Console.WriteLine();
Console.WriteLine("| backend | direction | raw events/s | stream events/s | stream ÷ raw |");
Console.WriteLine("|---|---|---:|---:|---:|");
foreach (var r in results)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Backend} | {r.Direction} | {r.Raw:N0} | {r.Stream:N0} | {r.Stream / r.Raw:0.00} |"));
return 0;

static async Task<double> Measure(string name, int events, Func<Progress, Task> run)
{
    var progress = new Progress(name, events);
    var watch = Stopwatch.StartNew();
    using var ticker = new Timer(_ => progress.Print(watch.Elapsed), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    await run(progress);
    watch.Stop();
    var rate = events / watch.Elapsed.TotalSeconds;
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[streams] {name}: {events:N0} in {watch.Elapsed.TotalSeconds:0.00} s = {rate:N0}/s"));
    return rate;
}

sealed record Result(string Backend, string Direction, double Raw, double Stream);

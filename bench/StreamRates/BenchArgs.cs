namespace GlobalCommerce.Bench.StreamRates;

public sealed class BenchArgs
{
    public const string Usage = """
        bench/streams.sh [options]     (or: dotnet GlobalCommerce.Bench.StreamRates.dll [options])
          --backends embedded,rabbitmq   which backends to measure (default both; rabbitmq needs --rabbit or GC_TEST_RABBITMQ)
          --events N                     events per phase (default 100000)
          --size BYTES                   body size (default 200)
          --keys N                       distinct partition keys (default 1000)
          --rabbit URL                   amqp://… of the broker (default $GC_TEST_RABBITMQ)
          --dir PATH                     scratch folder for SQLite files (default a new temp folder)
        Phases per backend: raw produce, raw consume (the transport without the stream layer: SQLite inserts/selects,
        or AMQP publish-with-confirms / basic.consume on one stream queue), then the stream layer: IStreamBackend.ProduceAsync
        in batches of 500, and the full engine (a consumer group over 8 partitions with leases and checkpoints) until
        every event is handled. Prints progress every second and a markdown table at the end.
        """;

    public IReadOnlyList<string> Backends { get; private set; } = ["embedded", "rabbitmq"];

    public int Events { get; private set; } = 100_000;

    public int Size { get; private set; } = 200;

    public int Keys { get; private set; } = 1000;

    public string? Rabbit { get; private set; } = Environment.GetEnvironmentVariable("GC_TEST_RABBITMQ");

    public string Directory { get; private set; } = Path.Combine(Path.GetTempPath(), "gc-bench-streams", Guid.NewGuid().ToString("N")[..8]);

    public static BenchArgs? Parse(string[] args)
    {
        var options = new BenchArgs();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "-h" or "--help":
                    return null;
                case "--backends":
                    options.Backends = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    break;
                case "--events":
                    options.Events = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "--size":
                    options.Size = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "--keys":
                    options.Keys = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "--rabbit":
                    options.Rabbit = Next();
                    break;
                case "--dir":
                    options.Directory = Next();
                    break;
                default:
                    throw new ArgumentException($"Unknown option {args[i]}\n{Usage}");
            }
        }

        foreach (var backend in options.Backends)
        {
            if (backend is not ("embedded" or "rabbitmq"))
                throw new ArgumentException($"Unknown backend {backend}");
            if (backend == "rabbitmq" && string.IsNullOrEmpty(options.Rabbit))
                throw new ArgumentException("The rabbitmq backend needs --rabbit URL or GC_TEST_RABBITMQ");
        }

        System.IO.Directory.CreateDirectory(options.Directory);
        return options;
    }
}

public sealed class Progress(string name, int total)
{
    long _done;

    public void Add(long count) => Interlocked.Add(ref _done, count);

    public void Print(TimeSpan elapsed)
    {
        var done = Interlocked.Read(ref _done);
        Console.Error.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"[streams]   {name}: {done:N0}/{total:N0} ({100.0 * done / total:0}%) after {elapsed.TotalSeconds:0} s"));
    }
}

public interface IRawTransport
{
    Task ProduceAsync(Progress progress);

    Task ConsumeAsync(Progress progress);
}

using System.Globalization;

namespace GlobalCommerce.Bench.UploadRun;

// Only the embedded default exists so far; a distributed shape (API + workers on RabbitMQ and PostgreSQL) would be a
// second value here and a second way of starting hosts, the rest of the run unchanged.
public enum RunMode
{
    Embedded,
}

public sealed class RunOptions
{
    public const string Usage = """
        bench/upload.sh [options]     (or: dotnet GlobalCommerce.Bench.UploadRun.dll [options])
          --rows N              CSV rows to upload (default 100000)
          --warmup-rows N       rows of an upload made first and not measured, so the host's JIT has compiled and
                                re-compiled (tiered) the upload path before the measured one starts (default 30000,
                                about 15 s; 0: measure a cold process, whose JIT took a tenth of the CPU)
          --mode embedded       the platform's shape; only the embedded default so far (one API process, SQLite,
                                in-memory bus, a fresh data folder)
          --poll 500ms          how often the upload's status, the fan-out and the API's memory are read
          --progress 2s         interval of the progress lines (stderr)
          --timeout 300s        the longest the upload and its fan-out may take, from the start of the POST
          --host-env KEY=VALUE  extra environment for the API host (repeatable)
          --api-dll PATH        the API host to start (default src/Api/bin/Release/net10.0/GlobalCommerce.Api.dll)
          --dir DIR             work folder: the CSV, the API's data folder and log (api.log), polls.csv
                                (default a new temp folder, removed at the end unless --keep)
          --keep                keep the work folder (bench/upload.sh prints its path)
          -h, --help            this text (bench/upload.sh prints it without building anything)
        Starts the API on a free loopback port with a fresh data folder, reads the catalog, writes the CSV (row i: product
        i mod N, warehouse WH-{i / N}, quantity i mod 7; every 10th warehouse has reorder point 5), uploads it as the demo
        vendor and polls the upload until it is completed, then polls the products, the vendor's reorder alerts and the
        analytics summary until every consumer group has applied every row. Prints progress, then a markdown table.
        Exit 0 when everything was applied (whether or not the 30 s target was met), 1 on failure or timeout.
        durations take ms, s or m (500ms, 20s, 2m)
        """;

    public int Rows { get; private set; } = 100_000;

    public int WarmupRows { get; private set; } = 30_000;

    public RunMode Mode { get; private set; } = RunMode.Embedded;

    public TimeSpan Poll { get; private set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan Progress { get; private set; } = TimeSpan.FromSeconds(2);

    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(300);

    public IReadOnlyDictionary<string, string> HostEnvironment => _hostEnvironment;

    public string? ApiDll { get; private set; }

    public string? Directory { get; private set; }

    public bool Keep { get; private set; }

    readonly Dictionary<string, string> _hostEnvironment = new(StringComparer.Ordinal);

    // Null for --help.
    public static RunOptions? Parse(IReadOnlyList<string> args)
    {
        var options = new RunOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var flag = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            switch (flag)
            {
                case "-h" or "--help":
                    return null;
                case "--rows":
                    options.Rows = PositiveInt(flag, Value());
                    break;
                case "--warmup-rows":
                    var warmup = Value();
                    options.WarmupRows = warmup == "0" ? 0 : PositiveInt(flag, warmup);
                    break;
                case "--mode":
                    options.Mode = Value() switch
                    {
                        "embedded" => RunMode.Embedded,
                        var other => throw new ArgumentException($"unknown mode '{other}': only 'embedded' is built so far"),
                    };
                    break;
                case "--poll":
                    options.Poll = Duration(flag, Value());
                    break;
                case "--progress":
                    options.Progress = Duration(flag, Value());
                    break;
                case "--timeout":
                    options.Timeout = Duration(flag, Value());
                    break;
                case "--host-env":
                    var variable = Value();
                    var split = variable.IndexOf('=', StringComparison.Ordinal);
                    if (split <= 0)
                        throw new ArgumentException($"{flag} needs KEY=VALUE, not '{variable}'");
                    options._hostEnvironment[variable[..split]] = variable[(split + 1)..];
                    break;
                case "--api-dll":
                    options.ApiDll = Path.GetFullPath(Value());
                    break;
                case "--dir":
                    options.Directory = Path.GetFullPath(Value());
                    break;
                case "--keep":
                    options.Keep = true;
                    break;
                default:
                    throw new ArgumentException($"unknown option {flag} (--help lists them)");
            }
        }

        return options;
    }

    static int PositiveInt(string flag, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw new ArgumentException($"{flag} needs a positive whole number, not '{value}'");

    static TimeSpan Duration(string flag, string value)
    {
        var (number, unit) = value.EndsWith("ms", StringComparison.Ordinal) ? (value[..^2], 0.001)
            : value.EndsWith('s') ? (value[..^1], 1.0)
            : value.EndsWith('m') ? (value[..^1], 60.0)
            : (value, 1.0);
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount > 0
            ? TimeSpan.FromSeconds(amount * unit)
            : throw new ArgumentException($"{flag} needs a duration such as 500ms, 2s or 5m, not '{value}'");
    }
}

using System.Runtime.InteropServices;
using GlobalCommerce.Bench.OrderLoad;
using GlobalCommerce.Bench.OrderLoad.Reporting;
using GlobalCommerce.Bench.OrderLoad.Runs;

// The order benchmark: run through bench/run.sh, which builds the solution and starts the servers.
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (UsageException exception)
{
    if (exception.Message.Length > 0)
        Console.Error.WriteLine(exception.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return exception.Message.Length > 0 ? 2 : 0;
}

// Ctrl-C and run.sh's trap end the run through cancellation, so the hosts are always stopped on the way out.
using var cancel = new CancellationTokenSource();
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

var environment = BenchEnvironment.FromVariables();
Directory.CreateDirectory(options.WorkDirectory);
var results = new List<ModeResult>();
var failures = new Dictionary<BenchMode, string>();
foreach (var mode in options.Modes)
{
    try
    {
        results.Add(await new ModeRunner(mode, options, environment).RunAsync(cancel.Token));
    }
    catch (OperationCanceledException) when (cancel.IsCancellationRequested)
    {
        Console.Error.WriteLine("benchmark interrupted");
        return 130;
    }
#pragma warning disable CA1031 // one mode failing (a host crashing, say) must not cost the other mode's results
    catch (Exception exception)
#pragma warning restore CA1031
    {
        Console.Error.WriteLine($"[{mode.ToString().ToLowerInvariant()}] FAILED: {exception}");
        failures[mode] = exception.Message;
    }
}

var report = new Report(options, environment, results, failures, DateTimeOffset.UtcNow);
Console.WriteLine();
Console.Write(report.Render(markdown: false));
Console.WriteLine();
Console.WriteLine($"results written to {string.Join(" and ", report.Write(options.ResultsDirectory))}");
return failures.Count == 0 ? 0 : 1;

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    cancel.Cancel();
}

using System.Runtime.InteropServices;
using GlobalCommerce.Bench.UploadRun;

// The vendor upload benchmark (issue #12): a CSV of --rows rows uploaded end to end through the API, as the demo vendor
// would, on a fresh embedded default. bench/upload.sh builds the API and this tool and runs it.
RunOptions? options;
try
{
    options = RunOptions.Parse(args);
}
catch (ArgumentException exception)
{
    Console.Error.WriteLine($"[upload] {exception.Message}");
    return 2;
}

if (options is null)
{
    Console.WriteLine(RunOptions.Usage);
    return 0;
}

// Ctrl-C and SIGTERM end the run through the token, so the API host is stopped and waited for on the way out.
using var stop = new CancellationTokenSource();
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

var ownsDirectory = options.Directory is null;
var work = options.Directory ?? Path.Combine(Path.GetTempPath(), "gc-bench-upload-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(work);
try
{
    var dll = options.ApiDll ?? Path.Combine(RepositoryRoot(), "src", "Api", "bin", "Release", "net10.0", "GlobalCommerce.Api.dll");
    await using var host = ApiHost.Start(dll, work, options.HostEnvironment);
    return await new UploadBenchmark(options, host, work).RunAsync(stop.Token);
}
catch (BenchFailure failure)
{
    Console.Error.WriteLine($"[upload] FAILED: {failure.Message}");
    return 1;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.Error.WriteLine("[upload] interrupted; the API host was stopped");
    return 130;
}
finally
{
    // A folder given with --dir belongs to whoever gave it (bench/upload.sh removes or keeps its own).
    if (ownsDirectory && options.Keep)
        Console.Error.WriteLine($"[upload] kept {work}");
    else if (ownsDirectory)
        Directory.Delete(work, recursive: true);
}

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

static string RepositoryRoot()
{
    for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
    {
        if (File.Exists(Path.Combine(folder.FullName, "GlobalCommerce.sln")))
            return folder.FullName;
    }

    throw new BenchFailure("could not find the repository root (GlobalCommerce.sln) above the tool; pass --api-dll");
}

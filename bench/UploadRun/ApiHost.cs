using GlobalCommerce.Bench.Common;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace GlobalCommerce.Bench.UploadRun;

// The API host started from its Release build output, as an operator runs it. Its output goes straight to api.log
// through a shell that execs dotnet (same pid), so the benchmark never pumps the host's log through its own process.
public sealed class ApiHost : IAsyncDisposable
{
    readonly Process _process;

    ApiHost(Process process, Uri address, string logPath)
    {
        _process = process;
        Address = address;
        LogPath = logPath;
    }

    public Uri Address { get; }

    public int Pid => _process.Id;

    public string LogPath { get; }

    public static ApiHost Start(string dll, string workDirectory, IReadOnlyDictionary<string, string> hostEnvironment)
    {
        if (!File.Exists(dll))
            throw new FileNotFoundException($"API build output not found: {dll} (bench/upload.sh builds it: dotnet build src/Api -c Release)", dll);
        var address = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{FreePort()}"));
        var logPath = Path.Combine(workDirectory, "api.log");
        var start = new ProcessStartInfo("/bin/sh", ["-c", "exec \"$@\" >>\"$0\" 2>&1", logPath, "dotnet", dll, "--urls", address.ToString()])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            UseShellExecute = false,
        };
        start.Environment["Commerce__DataDirectory"] = Path.Combine(workDirectory, "data");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        // Tokens that outlive a long --timeout; nothing on the upload path depends on their lifetime.
        start.Environment["Commerce__Identity__AccessTokenLifetime"] = "04:00:00";
        foreach (var (key, value) in hostEnvironment)
            start.Environment[key] = value;

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the API host");
        // bench/upload.sh stops this pid should the benchmark itself die without stopping its host.
        File.WriteAllText(Path.Combine(workDirectory, "api.pid"), process.Id.ToString(CultureInfo.InvariantCulture));
        return new ApiHost(process, address, logPath);
    }

    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            ThrowIfExited();
            try
            {
                using var answer = await http.GetAsync(new Uri("/health/ready", UriKind.Relative), cancellationToken);
                if (answer.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(250, cancellationToken);
        }

        throw new BenchFailure(string.Create(CultureInfo.InvariantCulture,
            $"the API at {Address} did not answer 200 on /health/ready within {timeout.TotalSeconds:0} s; the end of {LogPath}:\n{Tail()}"));
    }

    public void ThrowIfExited()
    {
        if (_process.HasExited)
            throw new BenchFailure(string.Create(CultureInfo.InvariantCulture, $"the API host exited with {_process.ExitCode}; the end of {LogPath}:\n{Tail()}"));
    }

    public string Tail(int lines = 40)
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var tail = new Queue<string>(lines);
            while (reader.ReadLine() is { } line)
            {
                if (tail.Count == lines)
                    tail.Dequeue();
                tail.Enqueue(line);
            }

            return string.Join('\n', tail);
        }
        catch (IOException exception)
        {
            return $"({LogPath} unreadable: {exception.Message})";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await HostStop.StopAsync(_process, TimeSpan.FromSeconds(15));
        _process.Dispose();
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

// A failure the run reports in one line (and exits 1), as opposed to a bug in the benchmark.
public sealed class BenchFailure(string message) : Exception(message);

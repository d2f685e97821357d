using GlobalCommerce.Bench.Common;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace GlobalCommerce.Bench.OrderLoad.Hosting;

// One platform host (API or worker) started from its Release build output, the way operators run it, with the probe
// injected through DOTNET_STARTUP_HOOKS. Output goes to a log file: holding it in memory would grow with the run.
public sealed class HostProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly StreamWriter _log;

    HostProcess(string name, Process process, Uri address, string logPath, string probeSocket, StreamWriter log)
    {
        Name = name;
        _process = process;
        Address = address;
        LogPath = logPath;
        ProbeSocket = probeSocket;
        _log = log;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public Uri Address { get; }

    public int Pid => _process.Id;

    public string LogPath { get; }

    public string ProbeSocket { get; }

    // name: how the benchmark counts the process (several workers share "worker"); fileStem: its log and probe socket.
    public static HostProcess Start(string name, string dll, string probeDll, string workDirectory, IReadOnlyDictionary<string, string> environment,
        string? fileStem = null)
    {
        fileStem ??= name;
        if (!File.Exists(dll))
            throw new FileNotFoundException($"Build output of the {name} host not found; bench/run.sh builds it (dotnet build -c Release).", dll);
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var logPath = Path.Combine(workDirectory, $"{fileStem}.log");
        var probeSocket = Path.Combine(workDirectory, $"{fileStem}.probe");
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", address.ToString()])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["DOTNET_STARTUP_HOOKS"] = probeDll;
        start.Environment[Probe.HostProbe.SocketVariable] = probeSocket;
        foreach (var (key, value) in environment)
            start.Environment[key] = value;

        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start the {name} host");
        PidFile.Add(process.Id);
        return new HostProcess(name, process, address, logPath, probeSocket, log);
    }

    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(2) };
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The {Name} host exited with {_process.ExitCode}:\n{Tail()}");
            try
            {
                if ((await http.GetAsync(new Uri("/health/ready", UriKind.Relative), cancellationToken)).StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new TimeoutException($"The {Name} host at {Address} was not ready after {timeout}:\n{Tail()}");
    }

    public void ThrowIfExited()
    {
        if (_process.HasExited)
            throw new InvalidOperationException($"The {Name} host exited with {_process.ExitCode} during the run:\n{Tail()}");
    }

    public string Tail(int lines = 40)
    {
        lock (_log)
            _log.Flush();
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException exception)
        {
            return $"(log {LogPath} unreadable: {exception.Message})";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await HostStop.StopAsync(_process, TimeSpan.FromSeconds(10));
        _process.Dispose();
        lock (_log)
            _log.Dispose();
    }

    void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

// bench/run.sh stops whatever pid is listed here if the load generator itself dies without stopping its hosts.
static class PidFile
{
    static readonly string? FilePath = Environment.GetEnvironmentVariable("GC_BENCH_PIDFILE");
    static readonly Lock Gate = new();

    public static void Add(int pid)
    {
        if (FilePath is null)
            return;
        lock (Gate)
            File.AppendAllText(FilePath, $"{pid}\n");
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GlobalCommerce.EndToEnd.Tests;

// One of the platform's hosts (API or worker) started from its build output as a separate process.
public sealed class HostProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly StringBuilder _output = new();
    readonly StringBuilder _error = new();

    HostProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) =>
        {
            Append(e.Data);
            if (e.Data is not null)
            {
                lock (_error)
                    _error.AppendLine(e.Data);
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public Uri Address { get; }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    // Standard error alone (also part of Output, interleaved with standard output).
    public string ErrorOutput
    {
        get
        {
            lock (_error)
                return _error.ToString();
        }
    }

    public bool HasExited => _process.HasExited;

    // Once exited: the exit code, or 128 + the signal's number for a process a signal ended (137 for SIGKILL).
    public int ExitCode => _process.ExitCode;

    // Waits for the process to end by itself (and for its output to be read to the end); false if it is still running
    // when the timeout passes.
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return false;
        }
    }

    // addressByEnvironment: the address goes in ASPNETCORE_URLS, as an operator would set it, instead of --urls.
    // address: where to listen (a host restarted where its clients expect it); a free loopback port otherwise.
    public static HostProcess Start(string project, IReadOnlyDictionary<string, string> environment, bool addressByEnvironment = false,
        Uri? address = null)
    {
        var dll = Path.Combine(RepositoryRoot(), "src", project, "bin", BuildConfiguration, "net10.0", $"GlobalCommerce.{project}.dll");
        if (!File.Exists(dll))
            throw new FileNotFoundException($"Build output of {project} not found; build the solution first.", dll);
        address ??= new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo("dotnet", addressByEnvironment ? [dll] : [dll, "--urls", address.ToString()])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        // The tests talk to the hosts directly on plain HTTP; real mode expects a TLS-terminating proxy in front.
        start.Environment["Commerce__Http__RequireHttps"] = "false";
        if (addressByEnvironment)
            start.Environment["ASPNETCORE_URLS"] = address.ToString();
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        return new HostProcess(Process.Start(start)!, address);
    }

    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(2) };
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"Host exited with {_process.ExitCode}:\n{Output}");
            try
            {
                if ((await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"Host at {Address} not ready after {timeout}:\n{Output}");
    }

    // SIGKILL, like a crash or the OOM killer: no graceful shutdown, in-flight messages and transactions just stop.
    public async Task KillAsync()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

#if DEBUG
    const string BuildConfiguration = "Debug";
#else
    const string BuildConfiguration = "Release";
#endif

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "GlobalCommerce.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("GlobalCommerce.sln not found above the test output.");
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace GlobalCommerce.EndToEnd.Tests;

// One of the platform's hosts (API or worker) started from its build output as a separate process.
public sealed class HostProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly string? _ownDataDirectory;
    readonly StringBuilder _output = new();
    readonly StringBuilder _error = new();
    readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    HostProcess(Process process, Uri? address, string? ownDataDirectory)
    {
        _process = process;
        _ownDataDirectory = ownDataDirectory;
        if (address is not null)
            _listening.SetResult(address);
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

    // Where the host listens: known from the start for a fixed address, otherwise once Kestrel has said which port the
    // kernel gave it (WaitUntilReadyAsync waits for that).
    public Uri Address => _listening.Task.IsCompletedSuccessfully
        ? _listening.Task.Result
        : throw new InvalidOperationException("The host has not said where it listens yet; wait until it is ready.");

    public bool IsListening => _listening.Task.IsCompletedSuccessfully;

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
    // address: where to listen (a host restarted where its clients expect it; see FreePorts); otherwise port 0, the kernel
    // picks a free one at bind time and the host's "Now listening on" line says which. (A port found free beforehand can
    // be taken in between, e.g. as the local port of any outgoing connection: a worker once failed to start that way.)
    public static HostProcess Start(string project, IReadOnlyDictionary<string, string> environment, bool addressByEnvironment = false,
        Uri? address = null)
    {
        var dll = Path.Combine(RepositoryRoot(), "src", project, "bin", BuildConfiguration, "net10.0", $"GlobalCommerce.{project}.dll");
        if (!File.Exists(dll))
            throw new FileNotFoundException($"Build output of {project} not found; build the solution first.", dll);
        var urls = address?.ToString() ?? "http://127.0.0.1:0";
        var start = new ProcessStartInfo("dotnet", addressByEnvironment ? [dll] : [dll, "--urls", urls])
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
            start.Environment["ASPNETCORE_URLS"] = urls;
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        // A host keeps files of its own even in the distributed mode (its search index): never the user's default folder,
        // never another host's (unless the test is about the default folder, and says where it is with XDG_DATA_HOME).
        string? own = null;
        if (!environment.ContainsKey("Commerce__DataDirectory") && !environment.ContainsKey("XDG_DATA_HOME"))
            start.Environment["Commerce__DataDirectory"] = own = Path.Combine(Path.GetTempPath(), "gc-e2e-hosts", Guid.NewGuid().ToString("N"));
        return new HostProcess(Process.Start(start)!, address, own);
    }

    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (!_listening.Task.IsCompleted && DateTime.UtcNow < until)
        {
            if (_process.HasExited)
                throw await ExitedAsync();
            await Task.WhenAny(_listening.Task, Task.Delay(200));
        }

        if (!_listening.Task.IsCompleted)
            throw new TimeoutException($"Host did not say where it listens after {timeout}:\n{Output}");
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(2) };
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited)
                throw await ExitedAsync();
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

    // The exit is seen before the last lines are read: HasExited turns true when the process ends, while its output is
    // still in the pipe. WaitForExitAsync returns only once both streams reached their end, so the error message (the
    // host's reason for stopping, usually its last lines) is whole.
    async Task<InvalidOperationException> ExitedAsync()
    {
        await _process.WaitForExitAsync();
        return new InvalidOperationException($"Host exited with {_process.ExitCode}:\n{Output}");
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
        if (_ownDataDirectory is not null && Directory.Exists(_ownDataDirectory))
            Directory.Delete(_ownDataDirectory, recursive: true);
    }

    void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
        var listening = ListeningOn.Match(line);
        if (listening.Success)
            _listening.TrySetResult(new Uri(listening.Groups[1].Value));
    }

    // Kestrel's start-up line (Microsoft.Hosting.Lifetime, Information), the only place a port-0 host's port is told.
    static readonly Regex ListeningOn = new(@"Now listening on: (http://127\.0\.0\.1:\d+)", RegexOptions.CultureInvariant);

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
}

using System.Diagnostics;

namespace GlobalCommerce.Bench.OrderLoad;

// What bench/run.sh tells the load generator about the machine: the servers it started (scripts/lib/servers.sh) and
// the commit being measured. Real mode needs the servers; the embedded mode needs none.
public sealed record BenchEnvironment(
    string RepositoryRoot,
    string? Postgres,
    string? PostgresDataDirectory,
    string? PostgresBinDirectory,
    string? RabbitMq,
    string? RabbitMqEval,
    string Commit,
    string Machine)
{
    public static BenchEnvironment FromVariables() => new(
        FindRepositoryRoot(),
        Variable("GC_TEST_POSTGRES"),
        Variable("GC_BENCH_PG_DATA"),
        Variable("GC_BENCH_PG_BINDIR"),
        Variable("GC_TEST_RABBITMQ"),
        Variable("GC_BENCH_RABBITMQ_EVAL"),
        Variable("GC_BENCH_COMMIT") ?? "unknown commit",
        Describe());

    public void RequireServers()
    {
        if (Postgres is null || PostgresDataDirectory is null || PostgresBinDirectory is null || RabbitMq is null || RabbitMqEval is null)
        {
            throw new InvalidOperationException(
                "real mode needs the servers bench/run.sh starts (GC_TEST_POSTGRES, GC_TEST_RABBITMQ, GC_BENCH_PG_DATA, "
                + "GC_BENCH_PG_BINDIR, GC_BENCH_RABBITMQ_EVAL); run bench/run.sh, or pass --modes embedded");
        }
    }

    public string HostDll(string project) =>
        Path.Combine(RepositoryRoot, "src", project, "bin", "Release", "net10.0", $"GlobalCommerce.{project}.dll");

    static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    static string FindRepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "GlobalCommerce.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("GlobalCommerce.sln not found above the benchmark's build output.");
    }

    static string Describe()
    {
        var model = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return $"{Environment.ProcessorCount} CPUs ({model ?? "unknown"}), {memory:0} GiB, {Environment.OSVersion}, .NET {Environment.Version}";
    }

    // Runs a helper program and returns its standard output; throws with its error output if it fails.
    public static async Task<string> RunAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} exited with {process.ExitCode}: {await error}{await output}");
        return await output;
    }
}

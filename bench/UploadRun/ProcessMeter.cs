using System.Globalization;

namespace GlobalCommerce.Bench.UploadRun;

// What the kernel says about one process: resident memory now and at its highest (/proc/<pid>/status) and CPU time
// (/proc/<pid>/stat). Linux only, as the benchmark machine is.
public sealed class ProcessMeter(int pid)
{
    // USER_HZ: the unit of utime and stime, 100 on every Linux the platform runs on.
    const double TicksPerSecond = 100;

    // VmRSS in MB (2^20 bytes); null once the process is gone.
    public double? RssMegabytes() => StatusMegabytes("VmRSS:");

    public double? PeakRssMegabytes() => StatusMegabytes("VmHWM:");

    // utime + stime in seconds.
    public double? CpuSeconds()
    {
        var stat = Read($"/proc/{pid}/stat");
        if (stat is null)
            return null;
        // The command name (field 2) may hold spaces; the fields after its closing parenthesis start at field 3.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var user = long.Parse(fields[14 - 3], CultureInfo.InvariantCulture);
        var system = long.Parse(fields[15 - 3], CultureInfo.InvariantCulture);
        return (user + system) / TicksPerSecond;
    }

    double? StatusMegabytes(string field)
    {
        var status = Read($"/proc/{pid}/status");
        if (status is null)
            return null;
        foreach (var line in status.Split('\n'))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var kilobytes = long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kilobytes / 1024.0;
            }
        }

        return null;
    }

    static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

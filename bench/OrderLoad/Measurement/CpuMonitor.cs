using System.Diagnostics;
using System.Globalization;

namespace GlobalCommerce.Bench.OrderLoad.Measurement;

// CPU time from /proc, for the hosts we start and the servers we did not (postgres, beam.smp) alike. A server counts
// as its whole tree: its own time, the time of the children it has reaped (cutime/cstime, so exited PostgreSQL
// backends are not lost) and the time of its live descendants. The load generator counts alone: its children are the
// hosts (watched by themselves) and helper tools (rabbitmqctl, pg_waldump) that are measurement, not load.
public sealed class CpuMonitor
{
    // /proc reports clock ticks of USER_HZ, which is 100 on every architecture .NET runs on.
    const double TicksPerSecond = 100;

    readonly Lock _gate = new();
    readonly List<(string Name, int Pid, bool Tree)> _roots = [];

    // A process that exits takes its CPU time with it; the last value seen stands for it from then on.
    readonly Dictionary<string, double> _highest = new(StringComparer.Ordinal);

    public void Watch(string name, int pid, bool tree)
    {
        lock (_gate)
            _roots.Add((name, pid, tree));
    }

    public const string Other = "other processes";

    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_gate)
                return [.. _roots.Select(root => root.Name), Other];
        }
    }

    public CpuSample Sample()
    {
        List<(string Name, int Pid, bool Tree)> roots;
        lock (_gate)
            roots = [.. _roots];

        var processes = new Dictionary<int, (int Parent, long Own, long Reaped)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                continue;
            if (ReadStat(pid) is { } stat)
                processes[pid] = stat;
        }

        var children = processes.ToLookup(process => process.Value.Parent, process => process.Key);
        var seconds = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, pid, tree) in roots)
        {
            long ticks = 0;
            var pending = new Stack<int>([pid]);
            while (pending.TryPop(out var current))
            {
                if (!processes.TryGetValue(current, out var stat))
                    continue;
                ticks += tree ? stat.Own + stat.Reaped : stat.Own;
                if (!tree)
                    break;
                foreach (var child in children[current])
                    pending.Push(child);
            }

            seconds[name] = seconds.GetValueOrDefault(name) + ticks / TicksPerSecond;
        }

        lock (_gate)
        {
            foreach (var name in seconds.Keys)
                seconds[name] = _highest[name] = Math.Max(seconds[name], _highest.GetValueOrDefault(name));
        }

        var (busy, total) = ReadMachine();
        // Whatever else keeps this machine's CPUs busy (other people's builds and tests, say) shows up here.
        seconds[Other] = busy / TicksPerSecond - seconds.Values.Sum();
        return new CpuSample(Stopwatch.GetTimestamp(), seconds, busy / TicksPerSecond, total / TicksPerSecond);
    }

    static (int Parent, long Own, long Reaped)? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // The command name may hold spaces and parentheses; the fields after its last ')' are fixed:
        // state ppid ... utime(14) stime(15) cutime(16) cstime(17), numbered from pid = 1.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        long Field(int number) => long.Parse(fields[number - 3], CultureInfo.InvariantCulture);
        return ((int)Field(4), Field(14) + Field(15), Field(16) + Field(17));
    }

    static (long Busy, long Total) ReadMachine()
    {
        // cpu user nice system idle iowait irq softirq steal ...
        var line = File.ReadLines("/proc/stat").First();
        var values = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(value => long.Parse(value, CultureInfo.InvariantCulture)).ToArray();
        var total = values.Sum();
        return (total - values[3] - values[4], total);
    }
}

public sealed record CpuSample(long Timestamp, IReadOnlyDictionary<string, double> Seconds, double MachineBusySeconds, double MachineTotalSeconds)
{
    public double ElapsedSecondsSince(CpuSample earlier) => Stopwatch.GetElapsedTime(earlier.Timestamp, Timestamp).TotalSeconds;

    public double SecondsSince(CpuSample earlier, string name) =>
        Seconds.GetValueOrDefault(name) - earlier.Seconds.GetValueOrDefault(name);

    // Cores in use by name over the interval (1.0 = one core busy throughout).
    public double CoresSince(CpuSample earlier, string name) => SecondsSince(earlier, name) / Math.Max(ElapsedSecondsSince(earlier), 1e-9);

    // Fraction of all the machine's CPUs busy over the interval.
    public double MachineBusySince(CpuSample earlier) =>
        (MachineBusySeconds - earlier.MachineBusySeconds) / Math.Max(MachineTotalSeconds - earlier.MachineTotalSeconds, 1e-9);
}

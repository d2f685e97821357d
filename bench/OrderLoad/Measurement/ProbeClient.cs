using System.Globalization;
using System.Net.Sockets;

namespace GlobalCommerce.Bench.OrderLoad.Measurement;

// Reads a host probe's counters (bench/Probe) over its Unix socket: "kind<TAB>key<TAB>value" lines.
public static class ProbeClient
{
    // The runtime's counters are per process: they are keyed "<host> <counter>" so hosts stay apart when summed.
    public static async Task<Counts> ReadAsync(string host, string socketPath, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream);
        var text = await reader.ReadToEndAsync(cancellationToken);
        var counts = new Counts();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split('\t');
            var key = parts[0] == Probe.HostProbe.Runtime ? $"{host} {parts[1]}" : parts[1];
            counts.Add(parts[0], key, long.Parse(parts[2], CultureInfo.InvariantCulture));
        }

        return counts;
    }
}

// Counters keyed by kind and label (message type, endpoint, database), e.g. ("messaging.masstransit.send", "ReserveInventory").
public sealed class Counts
{
    readonly Dictionary<(string Kind, string Key), long> _values = [];

    public void Add(string kind, string key, long value) =>
        _values[(kind, key)] = _values.GetValueOrDefault((kind, key)) + value;

    public long Total(string kind) => _values.Where(entry => entry.Key.Kind == kind).Sum(entry => entry.Value);

    public IReadOnlyDictionary<string, long> ByKey(string kind) =>
        _values.Where(entry => entry.Key.Kind == kind && entry.Value != 0)
            .OrderByDescending(entry => entry.Value)
            .ToDictionary(entry => entry.Key.Key.Length == 0 ? "(none)" : entry.Key.Key, entry => entry.Value, StringComparer.Ordinal);

    public static Counts Sum(IEnumerable<Counts> parts)
    {
        var sum = new Counts();
        foreach (var part in parts)
        {
            foreach (var ((kind, key), value) in part._values)
                sum.Add(kind, key, value);
        }

        return sum;
    }

    public Counts Minus(Counts earlier)
    {
        var delta = new Counts();
        foreach (var ((kind, key), value) in _values)
            delta.Add(kind, key, value - earlier._values.GetValueOrDefault((kind, key)));
        return delta;
    }
}

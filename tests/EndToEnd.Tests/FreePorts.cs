using System.Net;
using System.Net.Sockets;

namespace GlobalCommerce.EndToEnd.Tests;

// A loopback port for a host that must come back where its clients expect it (killed and restarted on the same
// address). Taken below the kernel's ephemeral range, so no outgoing connection can be given it as its local port while
// the host is down; random within that, so two tests picking at once do not collide. A host that needs no fixed address
// listens on port 0 instead (HostProcess).
public static class FreePorts
{
    public static int ForRestarts()
    {
        var below = EphemeralRangeStart();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(20_000, below);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException($"No free loopback port found between 20000 and {below}.");
    }

    static int EphemeralRangeStart()
    {
        const string range = "/proc/sys/net/ipv4/ip_local_port_range";
        if (File.Exists(range) && int.TryParse(File.ReadAllText(range).Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0], out var start)
            && start > 21_000)
            return start;
        return 32_768;
    }
}

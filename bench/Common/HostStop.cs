using System.Diagnostics;
using System.Globalization;

namespace GlobalCommerce.Bench.Common;

// Stops a host the benchmark started: SIGTERM first, so it stops its bus and closes its databases; a kill of its
// process tree only if it has not exited within the grace period. Compiled into each benchmark (no shared assembly).
internal static class HostStop
{
    public static async Task StopAsync(Process process, TimeSpan grace)
    {
        if (process.HasExited)
            return;
        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            if (term is not null)
                await term.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}

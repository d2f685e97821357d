namespace GlobalCommerce.Platform.Streams;

public enum StreamCrashPoint
{
    None,
    // The relay has produced a batch but not yet deleted its rows.
    AfterProduce,
}

// For the fault suite only: GC_STREAM_KILL_AT=after-produce kills the process (SIGKILL, as `kill -9` would) when the
// relay reaches that point for the GC_STREAM_KILL_AFTER-th time (default 1). Unset in every normal run.
public static class StreamFaultInjection
{
    static readonly StreamCrashPoint Point = Environment.GetEnvironmentVariable("GC_STREAM_KILL_AT") switch
    {
        "after-produce" => StreamCrashPoint.AfterProduce,
        _ => StreamCrashPoint.None,
    };

    static int _remaining = int.TryParse(Environment.GetEnvironmentVariable("GC_STREAM_KILL_AFTER"), out var n) && n > 0 ? n : 1;

    public static void Reached(StreamCrashPoint point)
    {
        if (Point == StreamCrashPoint.None || point != Point)
            return;
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            Console.Error.WriteLine($"stream fault injection: killing the process at {point}");
            Console.Error.Flush();
            System.Diagnostics.Process.GetCurrentProcess().Kill();
        }
    }
}

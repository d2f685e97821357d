namespace GlobalCommerce.Platform.Messaging.Outbox;

public enum OutboxCrashPoint
{
    None,

    // The handler's transaction committed; nothing was sent yet.
    AfterCommit,

    // Everything was sent; the "delivered" mark is not written yet.
    AfterSend,
}

// For the fault suite only: kills the process (SIGKILL, as `kill -9` would) the Nth time a consumed message reaches the
// configured point of the outbox, so the crash windows of the delivery design are tested with a real dead process.
// Off unless GC_OUTBOX_KILL_AT (after-commit | after-send) is set in the environment; GC_OUTBOX_KILL_AFTER (default 20)
// says how many messages pass the point first.
public static class OutboxFaultInjection
{
    static readonly OutboxCrashPoint Point = Environment.GetEnvironmentVariable("GC_OUTBOX_KILL_AT") switch
    {
        "after-commit" => OutboxCrashPoint.AfterCommit,
        "after-send" => OutboxCrashPoint.AfterSend,
        _ => OutboxCrashPoint.None,
    };

    static int _remaining = int.TryParse(Environment.GetEnvironmentVariable("GC_OUTBOX_KILL_AFTER"), out var n) ? n : 20;

    public static void Reached(OutboxCrashPoint point)
    {
        if (Point == OutboxCrashPoint.None || point != Point || Interlocked.Decrement(ref _remaining) >= 0)
            return;
        Console.Error.WriteLine($"outbox fault injection: killing the process at {point}");
        Console.Error.Flush();
        System.Diagnostics.Process.GetCurrentProcess().Kill();
    }
}

namespace GlobalCommerce.Workers;

// The loop every deadline sweeper shares: sweep now, then once per tick; a failed sweep (database restarting, broker
// down) is logged and retried on the next tick. Subclasses only say what one sweep does.
public abstract partial class PeriodicSweeper(TimeSpan interval, TimeProvider clock, ILogger logger) : BackgroundService
{
    protected TimeProvider Clock { get; } = clock;

    // Publishes what is due; returns how many it found.
    public abstract Task<int> SweepAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, Clock);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
#pragma warning disable CA1031 // retried on the next tick
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                LogSweepFailed(logger, GetType().Name, exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Sweeper} failed; retrying on the next tick")]
    static partial void LogSweepFailed(ILogger logger, string sweeper, Exception exception);
}

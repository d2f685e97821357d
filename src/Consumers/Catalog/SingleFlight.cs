using System.Collections.Concurrent;

namespace GlobalCommerce.Consumers.Catalog;

// One fill per key at a time in this process: the first caller runs it, the others wait for its result (or its
// exception). The fill is not cancelled by the caller that started it, since others may be waiting; each caller's own
// token only ends its wait.
public sealed class SingleFlight<T>
{
    readonly ConcurrentDictionary<string, Task<T>> _running = new(StringComparer.Ordinal);

    public async Task<T> RunAsync(string key, Func<Task<T>> fill, CancellationToken cancellationToken)
    {
        var mine = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = _running.GetOrAdd(key, mine.Task);
        if (running != mine.Task)
            return await running.WaitAsync(cancellationToken);
        try
        {
            var value = await fill();
            mine.SetResult(value);
            return value;
        }
        catch (Exception exception)
        {
            mine.SetException(exception);
            // Observed here, so a fill nobody else waited for does not surface as an unobserved task exception.
            _ = mine.Task.Exception;
            throw;
        }
        finally
        {
            _running.TryRemove(new KeyValuePair<string, Task<T>>(key, mine.Task));
        }
    }
}

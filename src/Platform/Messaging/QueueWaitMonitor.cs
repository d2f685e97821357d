using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GlobalCommerce.Platform.Messaging;

// How long the last message consumed from a queue had waited in it (handled − sent), and when that was seen.
public sealed record QueueWait(TimeSpan Wait, DateTimeOffset ObservedAt);

// Per receive queue of this process, how long messages wait before they are consumed: the latest one's wait, which under
// FIFO delivery is the queue's current backlog in time. The deadline sweeper reads it to tell a step that is merely
// queued from one that is overdue. A queue nobody consumes from (its consumer is down) has no recent observation, which
// is the point: what is not being consumed is not "merely queued".
public sealed class QueueWaitMonitor(TimeProvider clock) : IConsumeObserver
{
    readonly ConcurrentDictionary<string, QueueWait> _latest = new(StringComparer.Ordinal);

    // By the queue's name as MassTransit names its endpoint (QueueNames' paths, EndpointNames); null if never consumed from here.
    public QueueWait? Latest(string queue) => _latest.TryGetValue(queue, out var wait) ? wait : null;

    public void Record(string queue, TimeSpan wait, DateTimeOffset observedAt) =>
        // Clocks of different hosts may disagree by a little: a message is never "sent in the future".
        _latest[queue] = new QueueWait(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, observedAt);

    public Task PreConsume<T>(ConsumeContext<T> context)
        where T : class
    {
        // Up to the first attempt of a handler, so time spent in this host's prefetch buffer counts as waiting and time
        // spent retrying a failing handler does not.
        if (context.SentTime is { } sent && context.ReceiveContext.InputAddress is { } input && context.GetRetryAttempt() == 0)
        {
            var now = clock.GetUtcNow();
            Record(input.Segments[^1].Trim('/'), now - new DateTimeOffset(DateTime.SpecifyKind(sent, DateTimeKind.Utc)), now);
        }

        return Task.CompletedTask;
    }

    public Task PostConsume<T>(ConsumeContext<T> context)
        where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;
}

public static class QueueWaitMonitorRegistration
{
    // One monitor per host, observing every receive endpoint of its bus; safe to call more than once.
    public static IServiceCollection AddQueueWaitMonitor(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(QueueWaitMonitor)))
            return services;

        // Connected once: a second observer would record every consumed message twice.
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<QueueWaitMonitor>();
        services.AddConsumeObserver(provider => provider.GetRequiredService<QueueWaitMonitor>());
        return services;
    }
}

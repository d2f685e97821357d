using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using GlobalCommerce.Platform.Telemetry;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Platform.Messaging;

// Commerce:Messaging:Watchdog (RabbitMQ only).
public sealed class ConsumerWatchdogOptions
{
    public bool Enabled { get; set; } = true;

    // How often the broker is asked about this host's queues (one passive declare per queue).
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    // How long a queue of this host may have no consumer at the broker, counted from when the broker answers, before it
    // counts as lost. After a short outage the bus is back within a few seconds. After a long one MassTransit waits up
    // to 30 s between its reconnect attempts (its own policy, not configurable), so endpoints stay without a consumer
    // for up to half a minute after the broker is back: that wait is what the watchdog cuts short.
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    // Restart the receive endpoint of a lost queue (stop it, start it: it connects at once).
    public bool RestartEndpoints { get; set; } = true;

    // At least this long between two restarts of the same endpoint, so a broker that keeps failing does not keep it
    // restarting.
    public TimeSpan RestartInterval { get; set; } = TimeSpan.FromSeconds(30);
}

// How many consumers the broker has on a queue: 0 for a queue that does not exist, null when the broker cannot be asked.
public interface IBrokerQueueProbe
{
    Task<uint?> ConsumerCountAsync(string queue, CancellationToken cancellationToken);
}

// The queues this host's bus consumes and their receive endpoints, as the bus reported them ready. Kept when an endpoint
// stops or faults: an endpoint that stopped while the host runs is exactly what the watchdog looks for.
public sealed class HostedQueues : IReceiveEndpointObserver
{
    readonly ConcurrentDictionary<string, IReceiveEndpoint> _endpoints = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => [.. _endpoints.Keys];

    public IReceiveEndpoint? EndpointOf(string queue) => _endpoints.TryGetValue(queue, out var endpoint) ? endpoint : null;

    public Task Ready(ReceiveEndpointReady ready)
    {
        if (QueueOf(ready.InputAddress) is { } queue)
            _endpoints[queue] = ready.ReceiveEndpoint;
        return Task.CompletedTask;
    }

    // RabbitMQ addresses end with the queue name (rabbitmq://host/vhost/queue); the bus's own reply queue is temporary
    // (deleted with its connection) and not watched.
    public static string? QueueOf(Uri address)
    {
        if (!address.Scheme.StartsWith("rabbitmq", StringComparison.OrdinalIgnoreCase))
            return null;
        if (address.Query.Contains("temporary=true", StringComparison.OrdinalIgnoreCase)
            || address.Query.Contains("autodelete=true", StringComparison.OrdinalIgnoreCase))
            return null;
        var name = address.AbsolutePath.TrimEnd('/').Split('/')[^1];
        return name.Length == 0 ? null : Uri.UnescapeDataString(name);
    }

    public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    public Task Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;
}

// A receive endpoint can be without a consumer at the broker long after the broker is back: MassTransit's receive
// transports back off between reconnect attempts (up to 30 s after a long outage), and MassTransit has been seen to leave
// endpoints without a consumer after a broker restart (docs/testing.md). The watchdog asks the broker itself: a queue
// this host consumes that has had no consumer for the grace period, while the broker answers, is lost. It is logged,
// reported by the "broker-consumers" health check (ready and live), and its receive endpoint is stopped and started
// again, which ends its wait and connects it at once.
// Not the whole bus: MassTransit 8.5 starts again, after a bus stop, only the endpoints that were not faulted when it
// stopped (ReceiveEndpointCollection.StartEndpoints skips an endpoint whose last state was Faulted), so a bus restart
// during a reconnect back-off leaves exactly the waiting endpoints dead (docs/testing.md).
// With more than one worker process the broker counts every process's consumers, so a queue counts as lost only when
// none of them consumes it.
public sealed partial class ConsumerWatchdog(
    ConsumerWatchdogOptions options,
    HostedQueues hosted,
    IBrokerQueueProbe probe,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<ConsumerWatchdog> logger) : BackgroundService
{
    public const string RestartsInstrument = "gc.bus.watchdog.restarts";

    static readonly Meter Meter = new(CommerceTelemetry.MeterName);

    static readonly Counter<long> RestartCount = Meter.CreateCounter<long>(RestartsInstrument, unit: "{restart}",
        description: "Receive endpoint restarts by the consumer watchdog, each for a queue of the host left without a consumer at the broker");

    readonly ConcurrentDictionary<string, DateTimeOffset> _withoutConsumerSince = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, DateTimeOffset> _lastRestart = new(StringComparer.Ordinal);

    public int Restarts { get; private set; }

    // The queues asked about at the last check.
    public int Watched { get; private set; }

    // Queues without a consumer at the broker for at least the grace period, with the time since they had none.
    public IReadOnlyDictionary<string, TimeSpan> Lost()
    {
        var now = clock.GetUtcNow();
        return _withoutConsumerSince
            .Where(entry => now - entry.Value >= options.GracePeriod)
            .ToDictionary(entry => entry.Key, entry => now - entry.Value, StringComparer.Ordinal);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await CheckAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogCheckFailed(logger, exception);
            }
        }
    }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
            return;
        var queues = hosted.Names;
        Watched = queues.Count;
        foreach (var queue in queues)
        {
            var consumers = await probe.ConsumerCountAsync(queue, cancellationToken);
            if (consumers is null)
            {
                // The broker cannot be asked: the bus is reconnecting like everything else, and restarting it would not
                // bring the broker back. Only a broker that answers can say a consumer is missing.
                _withoutConsumerSince.Clear();
                return;
            }

            if (consumers > 0)
                _withoutConsumerSince.TryRemove(queue, out _);
            else
                _withoutConsumerSince.TryAdd(queue, clock.GetUtcNow());
        }

        var lost = Lost();
        foreach (var (queue, since) in lost)
        {
            LogLost(logger, queue, since.TotalSeconds);
            var now = clock.GetUtcNow();
            if (options.RestartEndpoints && (!_lastRestart.TryGetValue(queue, out var last) || now - last >= options.RestartInterval))
                await RestartEndpointAsync(queue, cancellationToken);
        }
    }

    async Task RestartEndpointAsync(string queue, CancellationToken cancellationToken)
    {
        if (hosted.EndpointOf(queue) is not { } endpoint)
            return;
        _lastRestart[queue] = clock.GetUtcNow();
        Restarts++;
        RestartCount.Add(1, new KeyValuePair<string, object?>("queue", queue));
        LogRestarting(logger, queue, Restarts);
        try
        {
            // Messages in hand finish (or go back to the queue unacknowledged); the inboxes make a redelivery harmless. A
            // transport waiting to reconnect stops waiting.
            using (var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                stopping.CancelAfter(TimeSpan.FromSeconds(30));
                await endpoint.Stop(stopping.Token);
            }

            endpoint.Start(CancellationToken.None);
            LogRestarted(logger, queue);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Stopping did not finish in time (the endpoint is still started): the next check tries again after the
            // restart interval.
            LogRestartFailed(logger, exception, queue);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error,
        Message = "Queue {Queue} of this host has had no consumer at the broker for {Seconds:F0} s while the broker answers")]
    static partial void LogLost(ILogger logger, string queue, double seconds);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Restarting the receive endpoint of queue {Queue} to consume it again (restart {Restart})")]
    static partial void LogRestarting(ILogger logger, string queue, int restart);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "The receive endpoint of queue {Queue} restarted")]
    static partial void LogRestarted(ILogger logger, string queue);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Restarting the receive endpoint of queue {Queue} failed; the watchdog tries again after the restart interval")]
    static partial void LogRestartFailed(ILogger logger, Exception exception, string queue);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "The consumer watchdog's check failed; it tries again at the next interval")]
    static partial void LogCheckFailed(ILogger logger, Exception exception);
}

public sealed class ConsumerWatchdogCheck(ConsumerWatchdog watchdog) : IHealthCheck
{
    public const string Name = "broker-consumers";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var lost = watchdog.Lost();
        return Task.FromResult(lost.Count == 0
            ? HealthCheckResult.Healthy($"{watchdog.Watched} queues of this host, none without a consumer at the broker")
            : new HealthCheckResult(context.Registration.FailureStatus,
                $"no consumer at the broker: {string.Join(", ", lost.Keys.Order(StringComparer.Ordinal))}"));
    }
}

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
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    // How long a queue of this host may have no consumer at the broker before it counts as lost: longer than the bus
    // takes to reconnect after a broker restart (a few seconds), so an ordinary outage is never mistaken for it.
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    // Restart the bus (every receive endpoint of this host) when a queue is lost; at most once per GracePeriod.
    public bool RestartBus { get; set; } = true;
}

// How many consumers the broker has on a queue: 0 for a queue that does not exist, null when the broker cannot be asked.
public interface IBrokerQueueProbe
{
    Task<uint?> ConsumerCountAsync(string queue, CancellationToken cancellationToken);
}

// The queues this host's bus consumes, as the bus reported them ready. Kept when an endpoint stops or faults: an
// endpoint that stopped while the host runs is exactly what the watchdog looks for.
public sealed class HostedQueues : IReceiveEndpointObserver
{
    readonly ConcurrentDictionary<string, byte> _queues = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => [.. _queues.Keys];

    public Task Ready(ReceiveEndpointReady ready)
    {
        if (QueueOf(ready.InputAddress) is { } queue)
            _queues.TryAdd(queue, 0);
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

// A receive endpoint can stop consuming without the bus noticing: after a broker restart, MassTransit has been seen to
// bring some endpoints back and leave others with no consumer at the broker while its own health check still answers
// Healthy (docs/testing.md). The watchdog asks the broker itself: a queue this host consumes that has had no consumer
// for longer than the grace period, while the broker answers, is lost. It is logged, reported by the
// "broker-consumers" health check (ready and live: a restart mends it), and the bus is restarted.
// With more than one worker process the broker counts every process's consumers, so a queue counts as lost only when
// none of them consumes it.
public sealed partial class ConsumerWatchdog(
    ConsumerWatchdogOptions options,
    HostedQueues hosted,
    IBrokerQueueProbe probe,
    IServiceProvider services,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<ConsumerWatchdog> logger) : BackgroundService
{
    public const string RestartsInstrument = "gc.bus.watchdog.restarts";

    static readonly Meter Meter = new(CommerceTelemetry.MeterName);

    static readonly Counter<long> RestartCount = Meter.CreateCounter<long>(RestartsInstrument, unit: "{restart}",
        description: "Bus restarts by the consumer watchdog, each for a queue of the host left without a consumer at the broker");

    readonly ConcurrentDictionary<string, DateTimeOffset> _withoutConsumerSince = new(StringComparer.Ordinal);
    DateTimeOffset _lastRestart = DateTimeOffset.MinValue;

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
        if (lost.Count == 0)
            return;
        foreach (var (queue, since) in lost)
            LogLost(logger, queue, since.TotalSeconds);
        if (options.RestartBus && clock.GetUtcNow() - _lastRestart >= options.GracePeriod)
            await RestartBusAsync(cancellationToken);
    }

    async Task RestartBusAsync(CancellationToken cancellationToken)
    {
        _lastRestart = clock.GetUtcNow();
        Restarts++;
        RestartCount.Add(1);
        LogRestarting(logger, Restarts);
        // Resolved here, not injected: the bus is built with HostedQueues among its observers.
        var bus = services.GetRequiredService<IBusControl>();
        // Messages in hand finish (or go back to their queues unacknowledged); the inboxes make a redelivery harmless.
        using (var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            stopping.CancelAfter(TimeSpan.FromSeconds(30));
            await bus.StopAsync(stopping.Token);
        }

        await bus.StartAsync(cancellationToken);
        LogRestarted(logger);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error,
        Message = "Queue {Queue} of this host has had no consumer at the broker for {Seconds:F0} s while the broker answers")]
    static partial void LogLost(ILogger logger, string queue, double seconds);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Restarting the bus to consume its lost queues again (restart {Restart})")]
    static partial void LogRestarting(ILogger logger, int restart);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "The bus restarted")]
    static partial void LogRestarted(ILogger logger);

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

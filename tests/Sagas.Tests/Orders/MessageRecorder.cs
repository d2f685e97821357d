using System.Collections.Concurrent;
using MassTransit;

namespace GlobalCommerce.Sagas.Tests.Orders;

// Stands in for the downstream services: records every command and event the saga emits. The transactional
// outbox delivers them after commit as raw envelopes, so the harness's typed Sent list does not see them; a
// consumer at the real queue does, exactly as the real service would.
public sealed class MessageRecorder
{
    readonly ConcurrentQueue<object> _messages = new();

    public void Record(object message) => _messages.Enqueue(message);

    public IReadOnlyList<T> Of<T>() => [.. _messages.OfType<T>()];
}

public sealed class Recorder<T>(MessageRecorder recorder) : IConsumer<T>
    where T : class
{
    public Task Consume(ConsumeContext<T> context)
    {
        recorder.Record(context.Message);
        return Task.CompletedTask;
    }
}

using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Platform.Messaging.FaultInjection;

// Fault injection (Commerce:Testing:DuplicateSends): as a command starts being consumed, the same command goes to the
// same queue again with a new MessageId. The copy usually runs while the original is still in flight, so handlers
// meet concurrent duplicates as well as late ones.
public sealed partial class DuplicateCommandObserver(IServiceProvider provider, ILogger<DuplicateCommandObserver> logger) : IConsumeObserver
{
    const string DuplicateOf = "GC-Fault-Duplicate-Of";

    // Commands are what is sent to these queues; events reach the same endpoints through their own exchanges.
    static readonly HashSet<string> CommandQueues = new[]
    {
        QueueNames.OrderSaga, QueueNames.ReserveInventory, QueueNames.CommitInventory, QueueNames.ReleaseInventory,
        QueueNames.AssessFraud, QueueNames.ChargePayment, QueueNames.RefundPayment, QueueNames.CreateShipment, QueueNames.CancelShipment,
    }.Select(queue => queue.AbsolutePath).ToHashSet(StringComparer.Ordinal);

    public async Task PreConsume<T>(ConsumeContext<T> context)
        where T : class
    {
        if (context.DestinationAddress is not { } destination
            || !CommandQueues.Contains(destination.Segments[^1])
            || context.Headers.TryGetHeader(DuplicateOf, out _)
            || context.GetRetryAttempt() > 0)
            return;

        // The bus itself, not this context: under the outbox a send from the context would wait for the handler's commit.
        var endpoint = await provider.GetRequiredService<IBus>().GetSendEndpoint(destination);
        var copyId = NewId.NextGuid();
        await endpoint.Send(context.Message, copy =>
        {
            copy.MessageId = copyId;
            copy.ConversationId = context.ConversationId;
            copy.CorrelationId = context.CorrelationId;
            copy.Headers.Set(DuplicateOf, context.MessageId?.ToString());
        }, context.CancellationToken);
        LogDuplicated(logger, typeof(T).Name, context.MessageId, copyId);
    }

    public Task PostConsume<T>(ConsumeContext<T> context)
        where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fault injection: {MessageType} {MessageId} delivered again as {CopyId}")]
    static partial void LogDuplicated(ILogger logger, string messageType, Guid? messageId, Guid copyId);
}

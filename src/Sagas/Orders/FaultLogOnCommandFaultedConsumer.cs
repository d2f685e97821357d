using GlobalCommerce.Contracts.Fraud;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Contracts.Shipping;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Sagas.Orders;

// Keeps every fault of an order's commands in order_db, including those the saga does not react to (a failed
// release or refund), so support staff see them on the order next to the _error queue that holds the message.
public sealed partial class FaultLogOnCommandFaultedConsumer(OrderDbContext db, TimeProvider clock, ILogger<FaultLogOnCommandFaultedConsumer> logger) :
    IConsumer<Fault<ReserveInventory>>, IConsumer<Fault<CommitInventory>>, IConsumer<Fault<ReleaseInventory>>, IConsumer<Fault<AssessFraud>>,
    IConsumer<Fault<ChargePayment>>, IConsumer<Fault<RefundPayment>>, IConsumer<Fault<CheckPayment>>, IConsumer<Fault<CreateShipment>>,
    IConsumer<Fault<CancelShipment>>
{
    public Task Consume(ConsumeContext<Fault<ReserveInventory>> context) => RecordAsync(context, context.Message.Message?.OrderId);
    public Task Consume(ConsumeContext<Fault<CommitInventory>> context) => RecordAsync(context, context.Message.Message?.OrderId);
    public Task Consume(ConsumeContext<Fault<ReleaseInventory>> context) => RecordAsync(context, context.Message.Message?.OrderId);
    public Task Consume(ConsumeContext<Fault<AssessFraud>> context) => RecordAsync(context, context.Message.Message?.OrderId);
    public Task Consume(ConsumeContext<Fault<ChargePayment>> context) => RecordAsync(context, context.Message.Message?.OrderId);
    public Task Consume(ConsumeContext<Fault<RefundPayment>> context) => RecordAsync(context, context.Message.Message?.OrderId);
    public Task Consume(ConsumeContext<Fault<CheckPayment>> context) => RecordAsync(context, context.Message.Message?.OrderId);
    public Task Consume(ConsumeContext<Fault<CreateShipment>> context) => RecordAsync(context, context.Message.Message?.OrderId);
    public Task Consume(ConsumeContext<Fault<CancelShipment>> context) => RecordAsync(context, context.Message.Message?.OrderId);

    async Task RecordAsync<T>(ConsumeContext<Fault<T>> context, Guid? orderId)
        where T : class
    {
        var fault = context.Message;
        if (orderId is not { } id || await db.Faults.AnyAsync(f => f.FaultId == fault.FaultId, context.CancellationToken))
            return;

        var exception = fault.Exceptions.FirstOrDefault();
        db.Faults.Add(new OrderFault
        {
            FaultId = fault.FaultId,
            OrderId = id,
            MessageType = typeof(T).Name,
            FaultedMessageId = fault.FaultedMessageId,
            ExceptionType = Truncate(exception?.ExceptionType, 256) ?? "unknown",
            ExceptionMessage = exception?.Message ?? "",
            Endpoint = Truncate(context.SourceAddress?.AbsolutePath.Trim('/'), 256),
            At = fault.Timestamp == default ? clock.GetUtcNow() : new DateTimeOffset(fault.Timestamp, TimeSpan.Zero),
        });
        try
        {
            await db.SaveChangesAsync(context.CancellationToken);
            LogFaultRecorded(logger, typeof(T).Name, id);
        }
        catch (DbUpdateException)
        {
            // The same fault delivered twice at once: the other delivery stored it (the unique FaultId), else rethrow.
            db.ChangeTracker.Clear();
            if (!await db.Faults.AsNoTracking().AnyAsync(f => f.FaultId == fault.FaultId, context.CancellationToken))
                throw;
        }
    }

    static string? Truncate(string? text, int length) => text is { } t && t.Length > length ? t[..length] : text;

    [LoggerMessage(Level = LogLevel.Warning, Message = "{MessageType} for order {OrderId} faulted; recorded for support")]
    static partial void LogFaultRecorded(ILogger logger, string messageType, Guid orderId);
}

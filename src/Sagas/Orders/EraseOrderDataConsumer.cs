using System.Text.Json;
using GlobalCommerce.Contracts.Erasure;
using GlobalCommerce.Contracts.Orders;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Sagas.Orders;

// Orders keep what accounting and consumer law require (ids, lines, amounts, currency, dates, states, payment and
// tracking references, the shipping country for tax); the recipient's name and address, the payment token and the
// customer's free-text cancellation reason are overwritten. An order already anonymised is left alone.
public sealed partial class EraseOrderDataConsumer(OrderDbContext db, TimeProvider clock, ILogger<EraseOrderDataConsumer> logger)
    : IConsumer<EraseOrderData>
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task Consume(ConsumeContext<EraseOrderData> context)
    {
        var command = context.Message;
        var now = clock.GetUtcNow();
        var orders = await db.Orders.Include(o => o.History)
            .Where(o => o.CustomerId == command.CustomerId).ToListAsync(context.CancellationToken);
        var erased = 0;
        foreach (var order in orders.Where(o => o.ShippingAddress.Name != ErasureDomains.Erased))
        {
            order.ShippingAddress = Anonymise(order.ShippingAddress);
            order.PaymentToken = ErasureDomains.Erased;
            if (order.CancellationReason is { } reason)
            {
                foreach (var transition in order.History.Where(t => t.Detail == reason))
                    transition.Detail = ErasureDomains.Erased;
                order.CancellationReason = ErasureDomains.Erased;
            }

            // The saga's own concurrency token: a saga message racing with this fails and retries on the erased row.
            order.Version++;
            order.UpdatedAt = now;
            erased++;
        }

        var requests = await db.Requests.Where(r => r.CustomerId == command.CustomerId).ToListAsync(context.CancellationToken);
        foreach (var request in requests)
        {
            var submitted = JsonSerializer.Deserialize<SubmitOrder>(request.Submission, Json)!;
            if (submitted.ShippingAddress.Name == ErasureDomains.Erased)
                continue;
            request.Submission = JsonSerializer.Serialize(
                submitted with { ShippingAddress = Anonymise(submitted.ShippingAddress), PaymentToken = ErasureDomains.Erased }, Json);
        }

        await db.SaveChangesAsync(context.CancellationToken);
        LogErased(logger, command.ErasureId, command.CustomerId, erased);
        await context.Publish(new CustomerDataErased
        {
            ErasureId = command.ErasureId,
            CustomerId = command.CustomerId,
            Domain = ErasureDomains.Orders,
            ErasedAt = now,
        });
    }

    static ShippingAddress Anonymise(ShippingAddress address) => new()
    {
        Name = ErasureDomains.Erased,
        Line1 = ErasureDomains.Erased,
        Line2 = null,
        City = ErasureDomains.Erased,
        PostalCode = ErasureDomains.Erased,
        Country = address.Country,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Erasure {ErasureId}: anonymised {Count} orders of customer {CustomerId}")]
    static partial void LogErased(ILogger logger, Guid erasureId, Guid customerId, int count);
}

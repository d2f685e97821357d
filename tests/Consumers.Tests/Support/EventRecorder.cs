using System.Collections.Concurrent;
using GlobalCommerce.Contracts.Erasure;
using GlobalCommerce.Contracts.Fraud;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Contracts.Notifications;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Contracts.Shipping;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Tests.Support;

// Subscribes to every event the consumers emit and keeps them for assertions. Consumers publish through the
// transactional outbox, which delivers after commit as raw envelopes the harness's typed lists cannot show; a
// subscriber sees them exactly as the saga and other services do.
public sealed class EventRecorder
{
    readonly ConcurrentQueue<object> _events = new();

    public void Record(object message) => _events.Enqueue(message);

    public IEnumerable<T> Of<T>() => _events.OfType<T>();

    public static void Subscribe(IBusRegistrationConfigurator bus)
    {
        bus.AddSingleton<EventRecorder>();
        Add<InventoryReserved>(bus);
        Add<InventoryReservationFailed>(bus);
        Add<InventoryReleased>(bus);
        Add<FraudAssessed>(bus);
        Add<PaymentCompleted>(bus);
        Add<PaymentDeclined>(bus);
        Add<PaymentNotCharged>(bus);
        Add<PaymentRefunded>(bus);
        Add<ShipmentCreated>(bus);
        Add<ShipmentCancelled>(bus);
        Add<CustomerDataErased>(bus);
    }

    static void Add<T>(IBusRegistrationConfigurator bus)
        where T : class =>
        bus.AddConsumer<RecordingConsumer<T>>().Endpoint(e => e.Name = "recorded-" + typeof(T).Name.ToLowerInvariant());
}

public sealed class RecordingConsumer<T>(EventRecorder recorder) : IConsumer<T>
    where T : class
{
    public Task Consume(ConsumeContext<T> context)
    {
        recorder.Record(context.Message);
        return Task.CompletedTask;
    }
}

using GlobalCommerce.Consumers.Notifications;
using GlobalCommerce.Consumers.Payments;
using GlobalCommerce.Consumers.Shipping;
using GlobalCommerce.Consumers.Tests.Notifications;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Consumers.Tests.Vendors;
using GlobalCommerce.Contracts.Erasure;
using GlobalCommerce.Contracts.Notifications;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Contracts.Shipping;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Tests.Erasure;

// Each domain's part of the right to erasure: personal fields overwritten, what law or accounting needs kept,
// and a redelivered command changing nothing a second time while confirming again.
public sealed class ErasureConsumerTests
{
    const string Erased = ErasureDomains.Erased;

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Shipping_erases_the_recipient_and_address_and_keeps_tracking_and_country(DatabaseProvider provider)
    {
        await using var host = await ConsumerTestHost.StartAsync(provider, (bus, configuration, options) => bus.AddShipping(configuration, options));
        var (mine, tombstone, other) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var at = DateTimeOffset.UtcNow.AddDays(-3);
        await host.SaveAsync<ShippingDbContext>(
            Shipment(mine, "GC000000000001", at), Shipment(other, "GC000000000002", at),
            new Shipment { OrderId = tombstone, Status = ShipmentStatus.Cancelled, CreatedAt = at, UpdatedAt = at });
        var command = new EraseShippingData { ErasureId = Guid.NewGuid(), CustomerId = Guid.NewGuid(), OrderIds = [mine, tombstone] };

        await host.SendAsync(QueueNames.EraseShippingData, command);
        await host.WaitForPublishedAsync<CustomerDataErased>(m => m.ErasureId == command.ErasureId && m.Domain == "shipping");

        var shipments = await host.QueryAsync<ShippingDbContext, List<Shipment>>(db => db.Shipments.AsNoTracking().ToListAsync());
        var erased = shipments.Single(s => s.OrderId == mine);
        Assert.Equal((Erased, Erased, null, Erased, Erased), (erased.RecipientName, erased.Line1, erased.Line2, erased.City, erased.PostalCode));
        Assert.Equal(("DE", "DHL", "GC000000000001", 3, ShipmentStatus.Created), (erased.Country, erased.Carrier, erased.TrackingNumber, erased.ItemCount, erased.Status));
        Assert.Equal("Erika Mustermann", shipments.Single(s => s.OrderId == other).RecipientName);
        Assert.Null(shipments.Single(s => s.OrderId == tombstone).RecipientName);

        var firstPass = erased.UpdatedAt;
        await host.SendAsync(QueueNames.EraseShippingData, command);
        await host.WaitForPublishedAsync<CustomerDataErased>(m => m.ErasureId == command.ErasureId, 2);
        var again = await host.QueryAsync<ShippingDbContext, Shipment>(db => db.Shipments.AsNoTracking().SingleAsync(s => s.OrderId == mine));
        Assert.Equal(firstPass, again.UpdatedAt);
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Payments_keep_amounts_and_references_and_erase_what_a_decline_said(DatabaseProvider provider)
    {
        await using var host = await ConsumerTestHost.StartAsync(provider, (bus, configuration, options) => bus.AddPayments(configuration, options));
        var (paid, declined, other) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await host.SaveAsync<PaymentsDbContext>(
            new Payment { OrderId = paid, Amount = 129.90m, Currency = "EUR", Status = PaymentStatus.Succeeded, GatewayReference = "ch_paid", Version = 1 },
            new Payment { OrderId = declined, Amount = 20m, Currency = "EUR", Status = PaymentStatus.Declined, DeclineReason = "insufficient_funds", Version = 1 },
            new Payment { OrderId = other, Amount = 5m, Currency = "EUR", Status = PaymentStatus.Declined, DeclineReason = "card_declined", Version = 1 });
        var command = new ErasePaymentData { ErasureId = Guid.NewGuid(), CustomerId = Guid.NewGuid(), OrderIds = [paid, declined] };

        await host.SendAsync(QueueNames.ErasePaymentData, command);
        await host.WaitForPublishedAsync<CustomerDataErased>(m => m.ErasureId == command.ErasureId && m.Domain == "payments");
        await host.SendAsync(QueueNames.ErasePaymentData, command);
        await host.WaitForPublishedAsync<CustomerDataErased>(m => m.ErasureId == command.ErasureId, 2);

        var payments = await host.QueryAsync<PaymentsDbContext, List<Payment>>(db => db.Payments.AsNoTracking().ToListAsync());
        var kept = payments.Single(p => p.OrderId == paid);
        Assert.Equal((129.90m, "EUR", PaymentStatus.Succeeded, "ch_paid", 1), (kept.Amount, kept.Currency, kept.Status, kept.GatewayReference, kept.Version));
        var erased = payments.Single(p => p.OrderId == declined);
        Assert.Equal((20m, PaymentStatus.Declined, Erased), (erased.Amount, erased.Status, erased.DeclineReason));
        Assert.Equal(2, erased.Version);
        Assert.Equal("card_declined", payments.Single(p => p.OrderId == other).DeclineReason);
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Notifications_keep_that_a_message_was_sent_but_not_to_whom_or_what(DatabaseProvider provider)
    {
        await using var host = await ConsumerTestHost.StartAsync(provider,
            (bus, configuration, options) => bus.AddNotifications(configuration, options));
        var customer = Guid.NewGuid();
        var (orderId, otherOrder) = (Guid.NewGuid(), Guid.NewGuid());
        await host.ConsumeAsync<CustomerNoticesOnOrderEventsConsumer, Contracts.Streams.OrderConfirmed>(
            StreamEvents.Event(NotificationConsumerTests.Confirmed(orderId, customer, 42m), orderId.ToString()),
            StreamEvents.Event(NotificationConsumerTests.Confirmed(otherOrder, Guid.NewGuid(), 7m), otherOrder.ToString()));
        var command = new EraseNotificationData { ErasureId = Guid.NewGuid(), CustomerId = customer, OrderIds = [orderId] };

        await host.SendAsync(QueueNames.EraseNotificationData, command);
        await host.WaitForPublishedAsync<CustomerDataErased>(m => m.ErasureId == command.ErasureId && m.Domain == "notifications");
        await host.SendAsync(QueueNames.EraseNotificationData, command);
        await host.WaitForPublishedAsync<CustomerDataErased>(m => m.ErasureId == command.ErasureId, 2);

        var messages = await host.QueryAsync<NotificationsDbContext, List<OutboundMessage>>(db => db.OutboundMessages.AsNoTracking().ToListAsync());
        var erased = messages.Single(m => m.SubjectId == orderId);
        Assert.Equal((Erased, Erased, NotificationKinds.OrderConfirmation), (erased.Recipient, erased.Body, erased.Kind));
        Assert.Contains(orderId.ToString("N"), erased.Subject);
        var untouched = messages.Single(m => m.SubjectId == otherOrder);
        Assert.Contains("7.00 EUR", untouched.Body);
        Assert.NotEqual(Erased, untouched.Recipient);
    }

    static Shipment Shipment(Guid orderId, string tracking, DateTimeOffset at) => new()
    {
        OrderId = orderId,
        Status = ShipmentStatus.Created,
        Carrier = "DHL",
        TrackingNumber = tracking,
        RecipientName = "Erika Mustermann",
        Line1 = "Heidestraße 17",
        Line2 = "3. OG",
        City = "Köln",
        PostalCode = "51147",
        Country = "DE",
        ItemCount = 3,
        CreatedAt = at,
        UpdatedAt = at,
    };
}

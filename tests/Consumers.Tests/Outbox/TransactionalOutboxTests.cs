using System.Text.RegularExpressions;
using GlobalCommerce.Consumers.Payments;
using GlobalCommerce.Consumers.Shipping;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Contracts.Shipping;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Platform.Messaging.Outbox;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Tests.Outbox;

public class TransactionalOutboxTests
{
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task A_redelivered_message_with_the_same_id_is_handled_once(DatabaseProvider provider)
    {
        await using var host = await ConsumerTestHost.StartAsync(provider, (bus, configuration, options) => bus.AddPayments(configuration, options));
        var orderId = Guid.NewGuid();
        var messageId = NewId.NextGuid();
        var charge = new ChargePayment { OrderId = orderId, Amount = 10m, Currency = "EUR", PaymentToken = "tok_visa" };

        var endpoint = await host.Harness.Bus.GetSendEndpoint(QueueNames.ChargePayment);
        await endpoint.Send(charge, context => context.MessageId = messageId);
        await host.WaitForPublishedAsync<PaymentCompleted>(m => m.OrderId == orderId);
        await endpoint.Send(charge, context => context.MessageId = messageId);

        // The inbox saw it twice and let it through once: one event, one charge, nothing left in the outbox.
        var inbox = await WaitForReceiveCountAsync(host, messageId, 2);
        await host.Harness.InactivityTask;
        Assert.Single(host.Published<PaymentCompleted>(m => m.OrderId == orderId));
        Assert.Equal(1, host.Services.GetRequiredService<SandboxPaymentGateway>().ChargeCount);
        Assert.NotNull(inbox.Consumed);
        Assert.NotNull(inbox.Delivered);
        Assert.Equal(0, await host.QueryAsync<PaymentsDbContext, int>(db => db.Set<InboxState>().CountAsync(i => i.Outgoing != null)));
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task A_handler_that_fails_after_publishing_sends_nothing_and_changes_nothing(DatabaseProvider provider)
    {
        await using var host = await ConsumerTestHost.StartAsync(provider, (bus, configuration, options) =>
        {
            bus.AddShipping(configuration, options);
            bus.AddConsumer<ShipThenFailConsumer>().Endpoint(e => e.Name = "ship-then-fail");
            bus.AddTransactionalOutbox<ShippingDbContext>(configuration, "ship-then-fail");
        });
        var orderId = Guid.NewGuid();

        var endpoint = await host.Harness.Bus.GetSendEndpoint(new Uri("queue:ship-then-fail"));
        await endpoint.Send(new CreateShipment
        {
            OrderId = orderId,
            Address = new ShippingAddress { Name = "A", Line1 = "B", City = "C", PostalCode = "1", Country = "DE" },
            ItemCount = 1,
        });

        Assert.True(await host.Harness.Published.Any<Fault<CreateShipment>>(f => f.Context.Message.Message.OrderId == orderId));
        await host.Harness.InactivityTask;
        Assert.Empty(host.Published<ShipmentCreated>(m => m.OrderId == orderId));
        Assert.Equal(0, await host.QueryAsync<ShippingDbContext, int>(db => db.Shipments.CountAsync(s => s.OrderId == orderId)));
        Assert.Equal(0, await host.QueryAsync<ShippingDbContext, int>(db => db.Set<InboxState>().CountAsync(i => i.Outgoing != null)));
    }

    [Fact]
    public async Task Cleanup_forgets_inbox_rows_older_than_the_window_in_bounded_batches()
    {
        await using var host = await ConsumerTestHost.StartAsync(DatabaseProvider.Sqlite, (bus, configuration, options) => bus.AddShipping(configuration, options));
        var now = DateTimeOffset.UtcNow;
        var old = Enumerable.Range(0, 25).Select(_ => new InboxState
        {
            MessageId = Guid.NewGuid(), ConsumerId = Guid.NewGuid(), Received = now.AddHours(-2), Consumed = now.AddHours(-2), Delivered = now.AddHours(-2),
        });
        var recent = new InboxState { MessageId = Guid.NewGuid(), ConsumerId = Guid.NewGuid(), Received = now, Consumed = now, Delivered = now };
        var undelivered = new InboxState { MessageId = Guid.NewGuid(), ConsumerId = Guid.NewGuid(), Received = now.AddHours(-2), Consumed = now.AddHours(-2) };
        await host.SaveAsync<ShippingDbContext>([.. old, recent, undelivered]);

        var cleanup = new InboxCleanupService<ShippingDbContext>(host.Services.GetRequiredService<IServiceScopeFactory>(),
            new OutboxOptions { DuplicateDetectionWindow = TimeSpan.FromMinutes(30), CleanupBatchSize = 10 }, TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<InboxCleanupService<ShippingDbContext>>.Instance);
        var deleted = await cleanup.CleanupAsync(CancellationToken.None);

        Assert.Equal(25, deleted);
        var left = await host.QueryAsync<ShippingDbContext, List<Guid>>(db => db.Set<InboxState>().Select(i => i.MessageId).ToListAsync());
        Assert.Equal(new[] { recent.MessageId, undelivered.MessageId }.Order(), left.Order());
    }

    static async Task<InboxState> WaitForReceiveCountAsync(ConsumerTestHost host, Guid messageId, int count)
    {
        var until = DateTime.UtcNow + ConsumerTestHost.Patience;
        while (true)
        {
            var inbox = await host.QueryAsync<PaymentsDbContext, InboxState?>(db =>
                db.Set<InboxState>().AsNoTracking().SingleOrDefaultAsync(i => i.MessageId == messageId));
            if (inbox?.ReceiveCount >= count && inbox.Delivered is not null)
                return inbox;
            Assert.True(DateTime.UtcNow < until, $"inbox row of {messageId} never reached {count} receives");
            await Task.Delay(25);
        }
    }

    // A handler that saves its own changes midway (the shipment) does not insert its inbox row then and update it again
    // at the commit: the row is written once, complete (consumed, with its outgoing message), by the commit's SaveChanges.
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task A_handler_that_saves_midway_writes_its_inbox_row_once(DatabaseProvider provider)
    {
        using var commands = EfCommandRecorder.Start();
        await using var host = await ConsumerTestHost.StartAsync(provider, (bus, configuration, options) => bus.AddShipping(configuration, options));
        var orderId = Guid.NewGuid();

        await host.SendAsync(QueueNames.CreateShipment, new CreateShipment
        {
            OrderId = orderId,
            Address = new ShippingAddress { Name = "A", Line1 = "B", City = "C", PostalCode = "1", Country = "DE" },
            ItemCount = 1,
        });
        await host.WaitForPublishedAsync<ShipmentCreated>(m => m.OrderId == orderId);

        var texts = commands.TextsOn(provider == DatabaseProvider.Postgres ? host.Options.DatabasePrefix : host.Options.DataDirectory);
        Assert.Equal(1, texts.Sum(text => Regex.Count(text, @"INSERT INTO ""?inbox_state""?")));
        Assert.Equal(0, texts.Sum(text => Regex.Count(text, @"UPDATE ""?inbox_state""? SET ""Consumed""")));
        Assert.Equal(1, texts.Sum(text => Regex.Count(text, @"INSERT INTO ""?shipments""?")));
        var row = await host.QueryAsync<ShippingDbContext, InboxState>(db => db.Set<InboxState>().AsNoTracking().SingleAsync());
        Assert.NotNull(row.Consumed);
    }

    // Creates the shipment and publishes ShipmentCreated like the real consumer, then fails before returning.
    sealed class ShipThenFailConsumer(ShippingDbContext db) : IConsumer<CreateShipment>
    {
        public async Task Consume(ConsumeContext<CreateShipment> context)
        {
            db.Shipments.Add(new Shipment
            {
                OrderId = context.Message.OrderId,
                Carrier = "DHL",
                TrackingNumber = "GC" + Random.Shared.NextInt64(100_000_000_000, 999_999_999_999),
                Status = ShipmentStatus.Created,
                RecipientName = "A",
                Line1 = "B",
                City = "C",
                PostalCode = "1",
                Country = "DE",
                CreatedAt = DateTimeOffset.UtcNow,
                UpdatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync(context.CancellationToken);
            await context.Publish(new ShipmentCreated { OrderId = context.Message.OrderId, Carrier = "DHL", TrackingNumber = "x" });
            throw new InvalidOperationException("crashed after publishing");
        }
    }
}

using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Sagas.Orders;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Sagas.Tests.Orders;

// On PostgreSQL the saga's messages in hand at once share one commit (SharedCommit); each is still handled once, and a
// batch that fails (here: a copy of a message in the same batch as the original) is retried message by message.
public sealed class SharedCommitTests
{
    const int Orders = 40;

    [Fact]
    public async Task Saga_messages_in_hand_at_once_share_commits_and_each_is_handled_once()
    {
        await using var host = await OrderSagaHost.StartAsync(database: TestDatabases.Postgres());
        var orders = Enumerable.Range(0, Orders).Select(_ => OrderSagaHost.NewOrder()).ToList();

        await Task.WhenAll(orders.Select(host.SendToSagaAsync));

        foreach (var order in orders)
            await host.WaitForStateAsync(order.OrderId, "Pending");
        await WaitForReservationsAsync(host, orders);
        var shared = host.Services.GetRequiredService<SharedCommit<OrderDbContext>>();
        Assert.Equal(Orders, shared.Messages);
        Assert.True(shared.Commits < shared.Messages, $"{shared.Commits} commits for {shared.Messages} messages: nothing was shared");
        foreach (var order in orders)
            Assert.Equal(1, host.SentCount<ReserveInventory>(order.OrderId, m => m.OrderId));
        await using var scope = host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<OrderDbContext>().Database.EnsureDeletedAsync();
    }

    // A batch's context is a pooled one handed to each message's scope: it must not go back to the pool (and on to another
    // scope) while a message's scope that was handed it is still running, even though the batch has committed. (A
    // provider of its own: nothing else rents from its pool meanwhile.)
    [Fact]
    public async Task A_batch_context_goes_back_to_the_pool_only_when_the_last_message_scope_ends()
    {
        var services = new ServiceCollection();
        services.AddDomainDbContext<OrderDbContext>(TestDatabases.Postgres(), "orders");
        services.AddSingleton(new OutboxOptions());
        services.AddSingleton<SharedCommit<OrderDbContext>>();
        await using var provider = services.BuildServiceProvider();
        await using (var create = provider.CreateAsyncScope())
            await create.ServiceProvider.GetRequiredService<OrderDbContext>().Database.EnsureCreatedAsync();
        var message = provider.CreateAsyncScope();
        OrderDbContext? handed = null;

        await provider.GetRequiredService<SharedCommit<OrderDbContext>>().RunAsync(message.ServiceProvider, db =>
        {
            handed = db;
            return Task.CompletedTask;
        }, CancellationToken.None);

        Assert.NotNull(handed);
        Assert.Null(handed.Database.CurrentTransaction);
        // Holding 20 scopes at once takes every free context of the pool (and new ones): not the one still handed out.
        Assert.DoesNotContain(handed, RentHeld(provider, 20, out var held));
        await message.DisposeAsync();
        // The pool was empty; the context that came back is the next one out.
        Assert.Same(handed, RentHeld(provider, 1, out var next).Single());
        foreach (var scope in held.Concat(next))
            await scope.DisposeAsync();
        await using var cleanup = provider.CreateAsyncScope();
        await cleanup.ServiceProvider.GetRequiredService<OrderDbContext>().Database.EnsureDeletedAsync();
    }

    // The contexts that many scopes held at once get: the pool's every free context, then new ones.
    static List<OrderDbContext> RentHeld(IServiceProvider provider, int count, out List<AsyncServiceScope> scopes)
    {
        scopes = [.. Enumerable.Range(0, count).Select(_ => provider.CreateAsyncScope())];
        return [.. scopes.Select(scope => scope.ServiceProvider.GetRequiredService<OrderDbContext>())];
    }

    // The embedded default's SQLite file has one writer at a time: a longer write transaction would only make the others
    // wait, and its commits cost no flush to share. The same registration shares nothing there.
    [Fact]
    public async Task On_sqlite_every_saga_message_commits_alone()
    {
        await using var host = await OrderSagaHost.StartAsync(database: TestDatabases.Sqlite());
        var orders = Enumerable.Range(0, 10).Select(_ => OrderSagaHost.NewOrder()).ToList();

        await Task.WhenAll(orders.Select(host.SendToSagaAsync));

        foreach (var order in orders)
            await host.WaitForStateAsync(order.OrderId, "Pending");
        var shared = host.Services.GetRequiredService<SharedCommit<OrderDbContext>>();
        Assert.False(shared.Applies);
        Assert.Equal(0, shared.Messages);
    }

    [Fact]
    public async Task A_copy_in_the_same_batch_fails_it_and_every_message_is_retried_alone_and_handled_once()
    {
        await using var host = await OrderSagaHost.StartAsync(database: TestDatabases.Postgres());
        var orders = Enumerable.Range(0, Orders).Select(_ => OrderSagaHost.NewOrder()).ToList();
        var twice = orders[Orders / 2];
        var twiceId = NewId.NextGuid();
        var endpoint = await host.Harness.Bus.GetSendEndpoint(QueueNames.OrderSaga);

        // Two first deliveries of one message (a sender that sent it twice) among the others: both insert its inbox row,
        // and the second insert fails whatever batch it is in.
        await Task.WhenAll(orders.Select(order => order == twice
            ? Task.WhenAll(endpoint.Send(order, c => c.MessageId = twiceId), endpoint.Send(order, c => c.MessageId = twiceId))
            : host.SendToSagaAsync(order)));

        foreach (var order in orders)
            await host.WaitForStateAsync(order.OrderId, "Pending");
        await WaitForReservationsAsync(host, orders);
        foreach (var order in orders.Where(o => o != twice))
            Assert.Equal(1, host.SentCount<ReserveInventory>(order.OrderId, m => m.OrderId));
        // The copy's retry finds the message consumed; if the original's messages have been sent but not yet marked, it
        // sends them again with the same ids, for the receivers' inboxes to drop (outbox.md): the order's transition
        // happened once.
        Assert.Equal(1, await host.CountSagasAsync(twice.OrderId));
        var saga = await host.LoadAsync(twice.OrderId);
        Assert.Equal("Pending", Assert.Single(saga!.History).To);
        var shared = host.Services.GetRequiredService<SharedCommit<OrderDbContext>>();
        Assert.True(shared.Failures >= 1, "no batch failed: the copy was not handled in one");
        Assert.True(shared.Messages < Orders + 1, "the batch with the copy committed");
        await using var scope = host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<OrderDbContext>().Database.EnsureDeletedAsync();
    }

    // The reservations are sent after the commit: every order's, and then a moment for any second one to show.
    static async Task WaitForReservationsAsync(OrderSagaHost host, IReadOnlyList<SubmitOrder> orders)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (orders.Any(o => host.SentCount<ReserveInventory>(o.OrderId, m => m.OrderId) == 0) && DateTime.UtcNow < until)
            await Task.Delay(25);
        await host.Harness.InactivityTask;
    }
}

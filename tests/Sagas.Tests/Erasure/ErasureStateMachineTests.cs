using GlobalCommerce.Contracts.Erasure;
using GlobalCommerce.Contracts.Identity;
using GlobalCommerce.Contracts.Notifications;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Contracts.Shipping;
using GlobalCommerce.Platform;

namespace GlobalCommerce.Sagas.Tests.Erasure;

public sealed class ErasureStateMachineTests
{
    [Fact]
    public async Task An_erasure_completes_once_every_domain_has_confirmed()
    {
        await using var host = await ErasureSagaHost.StartAsync();
        var erasure = ErasureSagaHost.NewErasure();

        await host.StartErasureAsync(erasure);
        await host.WaitForCountAsync<EraseAccount>(m => m.ErasureId == erasure.ErasureId, 1);
        await host.WaitForCountAsync<EraseOrderData>(m => m.ErasureId == erasure.ErasureId, 1);
        await host.WaitForCountAsync<ErasePaymentData>(m => m.ErasureId == erasure.ErasureId, 1);
        await host.WaitForCountAsync<EraseShippingData>(m => m.ErasureId == erasure.ErasureId && m.OrderIds.SequenceEqual(erasure.OrderIds), 1);
        await host.WaitForCountAsync<EraseNotificationData>(m => m.ErasureId == erasure.ErasureId && m.CustomerId == erasure.CustomerId, 1);

        foreach (var domain in ErasureDomains.All.SkipLast(1))
        {
            await host.PublishAsync(ErasureSagaHost.Confirmation(erasure, domain));
            await host.WaitForAsync(erasure.ErasureId, s => s.ConfirmedDomains.Contains(domain), domain + " confirmed");
        }

        Assert.Equal("Erasing", (await host.LoadAsync(erasure.ErasureId))!.CurrentState);
        Assert.Equal(0, host.Count<CustomerErased>(m => m.ErasureId == erasure.ErasureId));

        await host.PublishAsync(ErasureSagaHost.Confirmation(erasure, ErasureDomains.All[^1]));
        var saga = await host.WaitForStateAsync(erasure.ErasureId, "Completed");

        Assert.Equal(ErasureDomains.All.Order(), saga.ConfirmedDomains.Order());
        Assert.NotNull(saga.CompletedAt);
        Assert.Null(saga.DeadlineAt);
        await host.WaitForCountAsync<CustomerErased>(m => m.ErasureId == erasure.ErasureId && m.CustomerId == erasure.CustomerId, 1);
    }

    [Fact]
    public async Task Duplicate_confirmations_and_a_repeated_request_change_nothing()
    {
        await using var host = await ErasureSagaHost.StartAsync();
        var erasure = ErasureSagaHost.NewErasure();
        await host.StartErasureAsync(erasure);
        await host.WaitForStateAsync(erasure.ErasureId, "Erasing");

        await host.PublishAsync(ErasureSagaHost.Confirmation(erasure, ErasureDomains.Orders));
        await host.PublishAsync(ErasureSagaHost.Confirmation(erasure, ErasureDomains.Orders));
        await host.PublishAsync(ErasureSagaHost.Confirmation(erasure, "somewhere-else"));
        await host.StartErasureAsync(erasure);
        await host.WaitForConsumedAsync<CustomerDataErased>(m => m.ErasureId == erasure.ErasureId, 3);
        await host.WaitForConsumedAsync<EraseCustomer>(m => m.ErasureId == erasure.ErasureId, 2);

        var saga = (await host.LoadAsync(erasure.ErasureId))!;
        Assert.Equal("Erasing", saga.CurrentState);
        Assert.Equal([ErasureDomains.Orders], saga.ConfirmedDomains);
        Assert.Equal(1, host.Count<EraseAccount>(m => m.ErasureId == erasure.ErasureId));

        foreach (var domain in ErasureDomains.All)
            await host.PublishAsync(ErasureSagaHost.Confirmation(erasure, domain));
        await host.WaitForStateAsync(erasure.ErasureId, "Completed");
        await host.PublishAsync(ErasureSagaHost.Confirmation(erasure, ErasureDomains.Shipping));
        await host.WaitForConsumedAsync<CustomerDataErased>(m => m.ErasureId == erasure.ErasureId, 9);

        Assert.Equal(5, (await host.LoadAsync(erasure.ErasureId))!.ConfirmedDomains.Count);
        Assert.Equal(1, host.Count<CustomerErased>(m => m.ErasureId == erasure.ErasureId));
    }

    // Five confirmations handled at once on one saga row: each handler loads the same version; the repository's
    // Version check (SQLite) or row lock (PostgreSQL) makes the losers retry on the winner's row, so none is lost.
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Concurrent_confirmations_are_all_recorded(DatabaseProvider provider)
    {
        await using var host = await ErasureSagaHost.StartAsync(TestDatabases.For(provider), concurrency: 8);
        var erasures = Enumerable.Range(0, 4).Select(_ => ErasureSagaHost.NewErasure()).ToList();
        foreach (var erasure in erasures)
            await host.StartErasureAsync(erasure);
        foreach (var erasure in erasures)
            await host.WaitForStateAsync(erasure.ErasureId, "Erasing");

        await Task.WhenAll(erasures.SelectMany(erasure => ErasureDomains.All.Select(domain =>
            host.PublishAsync(ErasureSagaHost.Confirmation(erasure, domain)))));

        foreach (var erasure in erasures)
        {
            var saga = await host.WaitForStateAsync(erasure.ErasureId, "Completed");
            Assert.Equal(ErasureDomains.All.Order(), saga.ConfirmedDomains.Order());
            await host.WaitForCountAsync<CustomerErased>(m => m.ErasureId == erasure.ErasureId, 1);
        }
    }

    [Fact]
    public async Task A_missing_confirmation_is_sent_again_at_each_deadline_then_the_erasure_needs_attention()
    {
        await using var host = await ErasureSagaHost.StartAsync(maxAttempts: 3);
        var erasure = ErasureSagaHost.NewErasure();
        await host.StartErasureAsync(erasure);
        await host.WaitForStateAsync(erasure.ErasureId, "Erasing");
        foreach (var domain in ErasureDomains.All.Where(d => d != ErasureDomains.Shipping))
            await host.PublishAsync(ErasureSagaHost.Confirmation(erasure, domain));
        var waiting = await host.WaitForAsync(erasure.ErasureId, s => s.ConfirmedDomains.Count == 4, "four confirmations");

        // A stale deadline (one the saga no longer holds) is ignored.
        await host.PublishAsync(new ErasureDeadlineExpired { ErasureId = erasure.ErasureId, DeadlineAt = waiting.DeadlineAt!.Value.AddSeconds(-1) });
        await host.WaitForConsumedAsync<ErasureDeadlineExpired>(m => m.ErasureId == erasure.ErasureId, 1);
        Assert.Equal(1, host.Count<EraseShippingData>(m => m.ErasureId == erasure.ErasureId));

        for (var attempt = 2; attempt <= 3; attempt++)
        {
            await host.PublishAsync(new ErasureDeadlineExpired { ErasureId = erasure.ErasureId, DeadlineAt = waiting.DeadlineAt!.Value });
            await host.WaitForCountAsync<EraseShippingData>(m => m.ErasureId == erasure.ErasureId, attempt);
            var current = attempt;
            waiting = await host.WaitForAsync(erasure.ErasureId, s => s.Attempts == current, $"attempt {current}");
        }

        Assert.Equal(1, host.Count<EraseAccount>(m => m.ErasureId == erasure.ErasureId));
        Assert.Equal(1, host.Count<EraseOrderData>(m => m.ErasureId == erasure.ErasureId));
        Assert.Equal(1, host.Count<ErasePaymentData>(m => m.ErasureId == erasure.ErasureId));
        Assert.Equal(1, host.Count<EraseNotificationData>(m => m.ErasureId == erasure.ErasureId));

        await host.PublishAsync(new ErasureDeadlineExpired { ErasureId = erasure.ErasureId, DeadlineAt = waiting.DeadlineAt!.Value });
        var stuck = await host.WaitForStateAsync(erasure.ErasureId, "NeedsAttention");

        Assert.Null(stuck.DeadlineAt);
        Assert.Contains("shipping", stuck.FailureReason);
        await host.WaitForCountAsync<ErasureNeedsAttention>(m => m.ErasureId == erasure.ErasureId && m.UnconfirmedDomains.SequenceEqual(["shipping"]), 1);
        Assert.Equal(3, host.Count<EraseShippingData>(m => m.ErasureId == erasure.ErasureId));
        Assert.Equal(0, host.Count<CustomerErased>(m => m.ErasureId == erasure.ErasureId));

        // Support gets the shipping domain going again: its late confirmation still completes the erasure.
        await host.PublishAsync(ErasureSagaHost.Confirmation(erasure, ErasureDomains.Shipping));
        await host.WaitForStateAsync(erasure.ErasureId, "Completed");
        await host.WaitForCountAsync<CustomerErased>(m => m.ErasureId == erasure.ErasureId, 1);
    }
}

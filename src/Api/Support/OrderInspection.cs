using System.Text.Json.Nodes;
using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Consumers.Payments;
using GlobalCommerce.Consumers.Shipping;
using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Sagas.Orders;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Api.Support;

// Everything the console reads: searches, the worklist, and one order with its position in every domain. Read-only,
// except for the audit row each view of an order leaves.
public sealed class OrderInspection(
    OrderDbContext orders,
    InventoryDbContext inventory,
    PaymentsDbContext payments,
    ShippingDbContext shipping,
    SupportOptions support,
    OrderStateMachineModel model,
    TimeProvider clock)
{
    public const int MaxResults = 100;

    public async Task<IReadOnlyList<OrderSummary>> SearchAsync(SearchCriteria criteria, CancellationToken cancellationToken)
    {
        var query = orders.Orders.AsNoTracking();
        var text = criteria.Query?.Trim();
        if (!string.IsNullOrEmpty(text))
        {
            if (Guid.TryParse(text, out var orderId))
                query = query.Where(o => o.CorrelationId == orderId);
            else if (text.Contains('@', StringComparison.Ordinal))
            {
                var email = text.ToLowerInvariant();
                query = query.Where(o => o.CustomerEmail == email);
            }
            else
                query = query.Where(o => o.PaymentReference == text || o.TrackingNumber == text);
        }

        if (!string.IsNullOrEmpty(criteria.State))
            query = query.Where(o => o.CurrentState == criteria.State);
        var now = clock.GetUtcNow();
        if (criteria.MinAgeMinutes is > 0 and var minutes)
        {
            var enteredBefore = now - TimeSpan.FromMinutes(minutes);
            query = query.Where(o => o.UpdatedAt <= enteredBefore);
        }

        if (criteria.From is { } from)
            query = query.Where(o => o.SubmittedAt >= from);
        if (criteria.To is { } to)
            query = query.Where(o => o.SubmittedAt < to);

        var rows = await query.OrderByDescending(o => o.SubmittedAt).Take(MaxResults).ToListAsync(cancellationToken);
        return [.. rows.Select(o => Summary(o, now))];
    }

    public async Task<IReadOnlyDictionary<string, int>> CountsByStateAsync(CancellationToken cancellationToken)
    {
        var counts = await orders.Orders.AsNoTracking().GroupBy(o => o.CurrentState)
            .Select(g => new { State = g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        return model.OrderStates
            .ToDictionary(s => s, s => counts.FirstOrDefault(c => c.State == s)?.Count ?? 0);
    }

    // Orders that have sat in their state longer than that state's limit, the longest first.
    public async Task<IReadOnlyList<OrderSummary>> WorklistAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var overdue = new List<OrderState>();
        foreach (var (state, limit) in support.StateAgeLimits.Where(l => !model.IsTerminal(l.Key)))
        {
            var enteredBefore = now - limit;
            overdue.AddRange(await orders.Orders.AsNoTracking()
                .Where(o => o.CurrentState == state && o.UpdatedAt <= enteredBefore)
                .OrderBy(o => o.UpdatedAt).Take(MaxResults).ToListAsync(cancellationToken));
        }

        return [.. overdue.Select(o => Summary(o, now)).OrderByDescending(o => o.AgeInState).Take(MaxResults)];
    }

    public async Task<OrderDetail?> LoadAsync(Guid orderId, CancellationToken cancellationToken)
    {
        var saga = await orders.Orders.AsNoTracking().Include(o => o.History.OrderBy(t => t.Id))
            .SingleOrDefaultAsync(o => o.CorrelationId == orderId, cancellationToken);
        if (saga is null)
            return null;

        var now = clock.GetUtcNow();
        var faults = await orders.Faults.AsNoTracking().Where(f => f.OrderId == orderId).OrderBy(f => f.Id).ToListAsync(cancellationToken);
        var audit = await orders.Audit.AsNoTracking().Where(a => a.OrderId == orderId).OrderByDescending(a => a.Id).Take(200).ToListAsync(cancellationToken);
        var payment = await payments.Payments.AsNoTracking().SingleOrDefaultAsync(p => p.OrderId == orderId, cancellationToken);
        var allocation = await inventory.Allocations.AsNoTracking().Include(a => a.Lines).SingleOrDefaultAsync(a => a.OrderId == orderId, cancellationToken);
        var shipment = await shipping.Shipments.AsNoTracking().SingleOrDefaultAsync(s => s.OrderId == orderId, cancellationToken);

        var steps = new List<TimelineStep>();
        JsonObject? previous = null;
        foreach (var transition in saga.History)
        {
            var snapshot = transition.Snapshot is null ? null : JsonNode.Parse(transition.Snapshot) as JsonObject;
            steps.Add(new TimelineStep(transition, snapshot is null ? [] : Diff(previous, snapshot, saga.Currency),
                Readable.Fields(transition.Message, saga.Currency)));
            previous = snapshot ?? previous;
        }

        var entries = new List<AuditLine>();
        foreach (var entry in audit)
            entries.Add(new AuditLine(entry, await OutcomeAsync(entry, saga, cancellationToken)));

        return new OrderDetail(saga, Summary(saga, now), steps, faults, entries, payment, allocation, shipment, Stuck(saga, faults, now));
    }

    public Task<bool> ExistsAsync(Guid orderId, CancellationToken cancellationToken) =>
        orders.Orders.AnyAsync(o => o.CorrelationId == orderId, cancellationToken);

    public async Task RecordViewAsync(Guid orderId, string actor, string role, CancellationToken cancellationToken)
    {
        orders.Audit.Add(new OrderAuditEntry
        {
            OrderId = orderId,
            At = clock.GetUtcNow(),
            Actor = actor,
            Role = role,
            Action = "Viewed",
            Outcome = "Viewed",
        });
        await orders.SaveChangesAsync(cancellationToken);
    }

    OrderSummary Summary(OrderState o, DateTimeOffset now)
    {
        var limit = support.StateAgeLimits.TryGetValue(o.CurrentState, out var l) ? l : (TimeSpan?)null;
        var age = now - o.UpdatedAt;
        return new OrderSummary(o.CorrelationId, o.CurrentState, o.CustomerEmail, o.Total, o.Currency, o.SubmittedAt, o.UpdatedAt, age,
            limit is { } max && !model.IsTerminal(o.CurrentState) && age > max, o.DeadlineAt, o.PaymentReference, o.TrackingNumber);
    }

    StuckAnalysis? Stuck(OrderState saga, IReadOnlyList<OrderFault> faults, DateTimeOffset now)
    {
        if (model.Awaited(saga.CurrentState) is not { } awaited)
            return null;
        var since = saga.UpdatedAt;
        var awaitedFaults = awaited.Command is null ? [] : faults.Where(f => f.MessageType == awaited.Command && f.At >= since.AddSeconds(-1)).ToList();
        var limit = support.StateAgeLimits.TryGetValue(saga.CurrentState, out var l) ? l : (TimeSpan?)null;
        var maxAttempts = awaited.Deadline.MaxAttempts;
        var onDeadline = awaited.Command is not null && saga.StepAttempts < maxAttempts
            ? $"the saga sends {awaited.Command} again (attempt {saga.StepAttempts + 1} of {maxAttempts})"
            : awaited.Deadline.WhenExhausted;
        return new StuckAnalysis(awaited, now - since, limit, saga.DeadlineAt, saga.DeadlineAt is { } d && d <= now, saga.StepAttempts, maxAttempts,
            onDeadline, awaitedFaults);
    }

    async Task<string> OutcomeAsync(OrderAuditEntry entry, OrderState saga, CancellationToken cancellationToken)
    {
        if (entry.CommandMessageId is not { } messageId)
            return entry.Outcome;
        if (saga.History.FirstOrDefault(t => t.MessageId == messageId) is { } transition)
            return transition.From == transition.To ? $"Applied in {transition.To}" : $"Applied: {transition.From} → {transition.To}";
        if (await orders.Set<BusOutboxMessage>().AsNoTracking().AnyAsync(m => m.MessageId == messageId, cancellationToken))
            return "Queued for delivery";
        if (await orders.Set<InboxState>().AsNoTracking().AnyAsync(i => i.MessageId == messageId && i.Consumed != null, cancellationToken))
            return "Handled without effect (the order had moved on)";
        return "Sent; not handled yet";
    }

    static List<FieldChange> Diff(JsonObject? before, JsonObject after, string currency)
    {
        var changes = new List<FieldChange>();
        foreach (var (key, value) in after)
        {
            var old = before?[key];
            var oldText = old?.ToJsonString();
            var newText = value?.ToJsonString();
            if (oldText != newText && !(before is null && value is null))
                changes.Add(new FieldChange(key, Readable.Value(key, old, currency), Readable.Value(key, value, currency)));
        }

        return changes;
    }

}

public sealed record SearchCriteria(string? Query, string? State, int? MinAgeMinutes, DateTimeOffset? From, DateTimeOffset? To)
{
    // Ten years: any longer reaches back before the platform existed, and far longer before the calendar's first year.
    public const int MaxMinAgeMinutes = 10 * 365 * 24 * 60;

    public bool IsEmpty => string.IsNullOrWhiteSpace(Query) && string.IsNullOrEmpty(State) && MinAgeMinutes is null && From is null && To is null;
}

public sealed record OrderSummary(Guid OrderId, string State, string? CustomerEmail, decimal Total, string Currency, DateTimeOffset SubmittedAt,
    DateTimeOffset EnteredStateAt, TimeSpan AgeInState, bool Overdue, DateTimeOffset? DeadlineAt, string? PaymentReference, string? TrackingNumber);

public sealed record OrderDetail(OrderState Saga, OrderSummary Summary, IReadOnlyList<TimelineStep> Timeline, IReadOnlyList<OrderFault> Faults,
    IReadOnlyList<AuditLine> Audit, Payment? Payment, Allocation? Allocation, Shipment? Shipment, StuckAnalysis? Stuck);

public sealed record TimelineStep(OrderTransition Transition, IReadOnlyList<FieldChange> Changes, IReadOnlyList<FieldValue> Message);

public sealed record FieldChange(string Field, string? Before, string? After);

public sealed record AuditLine(OrderAuditEntry Entry, string Outcome);

public sealed record StuckAnalysis(WaitingStep Awaited, TimeSpan Waiting, TimeSpan? Limit, DateTimeOffset? DeadlineAt, bool DeadlineOverdue,
    int Attempts, int MaxAttempts, string OnDeadline, IReadOnlyList<OrderFault> AwaitedFaults)
{
    public bool TooLong => Limit is { } limit && Waiting > limit;
}

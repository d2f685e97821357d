using System.Security.Claims;
using GlobalCommerce.Consumers.Payments;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Sagas.Orders;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Api.Support;

public enum SupportAction
{
    Retry,
    Cancel,
    Approve,
    Reject,
}

// The console's only way to change an order: a command to the saga through the bus outbox, stored in one transaction
// with its audit row. Guard rails: the action must fit the order's current state (checked again at submission, against
// the state the preview showed), a reason is required, and a cancellation that refunds more than
// Commerce:Support:RefundApprovalLimit needs an admin.
public sealed partial class SupportActions(
    OrderDbContext orders,
    PaymentsDbContext payments,
    BusOutbox<OrderDbContext> outbox,
    SupportOptions support,
    OrderStateMachineModel model,
    TimeProvider clock,
    ILogger<SupportActions> logger)
{
    public const int MinReasonLength = 5;
    public const int MaxReasonLength = 500;

    static readonly string SagaQueue = QueueNames.OrderSaga.AbsolutePath;

    public async Task<ActionPreview?> PreviewAsync(Guid orderId, SupportAction action, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var saga = await orders.Orders.AsNoTracking().SingleOrDefaultAsync(o => o.CorrelationId == orderId, cancellationToken);
        if (saga is null)
            return null;
        var payment = await payments.Payments.AsNoTracking().SingleOrDefaultAsync(p => p.OrderId == orderId, cancellationToken);
        return Preview(saga, payment, action, user);
    }

    ActionPreview Preview(OrderState saga, Payment? payment, SupportAction action, ClaimsPrincipal user)
    {
        var state = saga.CurrentState;
        var step = model.Awaited(state);
        var commands = new List<PlannedCommand>();
        string? refusal = null;
        decimal refund = 0;
        switch (action)
        {
            case SupportAction.Retry when step is { Command: not null }:
                commands.Add(new(nameof(RetryOrderStep), SagaQueue, "the saga re-arms the step's deadline and attempts"));
                commands.Add(new(step.Command, step.QueueName!, $"sent again by the saga; the {step.Step} consumer is idempotent"));
                break;
            case SupportAction.Cancel when step is not null:
                commands.Add(new(nameof(CancelOrder), SagaQueue, "requested by staff"));
                foreach (var undo in CompensationCommand.For(step.OnCancel))
                {
                    if (undo.Kind != Compensation.Refund)
                    {
                        commands.Add(Planned(undo));
                        continue;
                    }

                    refund = payment is { Status: PaymentStatus.Succeeded or PaymentStatus.Unknown or PaymentStatus.Processing } ? payment.Amount : 0m;
                    commands.Add(Planned(undo) with
                    {
                        Effect = refund > 0
                            ? $"refunds {refund:0.00} {saga.Currency} (voids the payment if nothing was charged)"
                            : "voids the payment: nothing has been charged",
                    });
                }

                commands.Add(new(nameof(OrderCancelled), "published", "notifies the other domains"));
                if (refund > support.RefundApprovalLimit && !user.IsAdmin())
                    refusal = $"Refunds above {support.RefundApprovalLimit:0.00} {saga.Currency} need the admin role (this one: {refund:0.00} {saga.Currency}).";
                break;
            case SupportAction.Approve when AwaitsStaff(model, step) && model.Awaited(After(state, model.Machine.ApproveOrder.Name)) is { Command: not null } next:
                commands.Add(new(nameof(ApproveOrder), SagaQueue, "clears the fraud review"));
                commands.Add(new(next.Command, next.QueueName!, $"charges {saga.Total:0.00} {saga.Currency}"));
                break;
            case SupportAction.Reject when AwaitsStaff(model, step):
                commands.Add(new(nameof(RejectOrder), SagaQueue, "fails the order"));
                commands.AddRange(CompensationCommand.For(step!.Undoes(model.Machine.RejectOrder)).Select(Planned));
                commands.Add(new(nameof(OrderFailed), "published", "notifies the other domains"));
                break;
            default:
                refusal = $"{Describe(action)} is not possible while the order is {state}.";
                break;
        }

        return new ActionPreview(saga.CorrelationId, action, state, commands, refund, saga.Currency, refusal);
    }

    public async Task<ActionResult> ExecuteAsync(Guid orderId, SupportAction action, string expectedState, string? reason, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var preview = await PreviewAsync(orderId, action, user, cancellationToken);
        if (preview is null)
            return new ActionResult(false, "The order does not exist.");
        reason = reason?.Trim();

        string? refusal = preview.Refusal;
        if (refusal is null && preview.State != expectedState)
            refusal = $"The order moved from {expectedState} to {preview.State} since the preview; review the new preview.";
        if (refusal is null && (reason is null || reason.Length < MinReasonLength || reason.Length > MaxReasonLength))
            refusal = $"Give a reason of {MinReasonLength} to {MaxReasonLength} characters.";

        var requestedBy = $"{user.StaffRole()} {user.Actor()}";
        var entry = new OrderAuditEntry
        {
            OrderId = orderId,
            At = clock.GetUtcNow(),
            Actor = user.Actor(),
            Role = user.StaffRole(),
            Action = action.ToString(),
            Reason = reason is { Length: > MaxReasonLength } ? reason[..MaxReasonLength] : reason,
            Commands = string.Join(", ", preview.Commands.Select(c => c.Message)),
            Outcome = refusal is null ? "Sent" : $"Refused: {refusal}",
        };
        if (refusal is null)
        {
            entry.CommandMessageId = action switch
            {
                SupportAction.Retry => outbox.Send(QueueNames.OrderSaga, new RetryOrderStep { OrderId = orderId, Reason = reason!, RequestedBy = requestedBy }),
                SupportAction.Cancel => outbox.Send(QueueNames.OrderSaga, new CancelOrder { OrderId = orderId, Reason = reason!, RequestedBy = requestedBy }),
                SupportAction.Approve => outbox.Send(QueueNames.OrderSaga, new ApproveOrder { OrderId = orderId, Reason = reason!, RequestedBy = requestedBy }),
                SupportAction.Reject => outbox.Send(QueueNames.OrderSaga, new RejectOrder { OrderId = orderId, Reason = reason!, RequestedBy = requestedBy }),
                _ => throw new ArgumentOutOfRangeException(nameof(action)),
            };
        }

        orders.Audit.Add(entry);
        await outbox.SaveChangesAsync(cancellationToken);
        if (refusal is null)
            LogActionSent(logger, action, orderId, entry.Actor, preview.State);
        else
            LogActionRefused(logger, action, orderId, entry.Actor, refusal);
        return new ActionResult(refusal is null, refusal ?? $"{Describe(action)} sent to the saga.");
    }

    public static string Describe(SupportAction action) => action switch
    {
        SupportAction.Retry => "Retry the pending step",
        SupportAction.Cancel => "Cancel with compensation",
        SupportAction.Approve => "Approve after fraud review",
        SupportAction.Reject => "Reject after fraud review",
        _ => action.ToString(),
    };

    // Retry needs a command to send again, cancel a state that has a cancel path, approve and reject a state that waits for staff.
    public static IEnumerable<SupportAction> Available(OrderStateMachineModel model, string state) =>
        Enum.GetValues<SupportAction>().Where(action => (action, model.Awaited(state)) switch
        {
            (SupportAction.Retry, { Command: not null }) => true,
            (SupportAction.Cancel, { } _) => true,
            (SupportAction.Approve or SupportAction.Reject, var step) => AwaitsStaff(model, step),
            _ => false,
        });

    static bool AwaitsStaff(OrderStateMachineModel model, WaitingStep? step) =>
        step is not null && step.Replies.Contains(model.Machine.ApproveOrder) && step.Replies.Contains(model.Machine.RejectOrder);

    string After(string state, string @event) =>
        model.Machine.Transitions.FirstOrDefault(t => t.From == state && t.Event == @event)?.To ?? state;

    static PlannedCommand Planned(CompensationCommand undo) => new(undo.Command, undo.Queue.AbsolutePath, undo.Undoes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Support action {Action} on order {OrderId} by {Actor} sent (order was {State})")]
    static partial void LogActionSent(ILogger logger, SupportAction action, Guid orderId, string actor, string state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Support action {Action} on order {OrderId} by {Actor} refused: {Refusal}")]
    static partial void LogActionRefused(ILogger logger, SupportAction action, Guid orderId, string actor, string refusal);
}

public sealed record PlannedCommand(string Message, string Destination, string Effect);

public sealed record ActionPreview(Guid OrderId, SupportAction Action, string State, IReadOnlyList<PlannedCommand> Commands, decimal Refund,
    string Currency, string? Refusal);

public sealed record ActionResult(bool Sent, string Message);

using System.Security.Claims;
using GlobalCommerce.Api.Http;
using GlobalCommerce.Api.Problems;
using GlobalCommerce.Contracts.Erasure;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Sagas.Erasure;
using GlobalCommerce.Sagas.Orders;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Api.Identity;

public sealed record EraseMeRequest(string? Password);

public sealed record ErasureResponse(Guid ErasureId, string State, IReadOnlyList<string> ConfirmedDomains, IReadOnlyList<string> PendingDomains,
    int Attempts, DateTimeOffset RequestedAt, DateTimeOffset? CompletedAt, string? FailureReason, Guid? CustomerId);

// The right to erasure. DELETE /api/me asks for the current password (a stolen access token alone cannot erase an
// account), refuses while orders are in flight, then locks the account, ends its sessions and starts the erasure
// saga. The requester's token dies with its session, so the status is read by erasure id: a random 128-bit id
// returned only to the requester, answering with no personal data; staff also see the customer id and can list.
public static partial class ErasureEndpoints
{
    public static IEndpointRouteBuilder MapErasure(this IEndpointRouteBuilder app)
    {
        app.MapDelete("/api/me", EraseMeAsync).WithTags("Identity").WithName("EraseMe").RequireAuthorization()
            .WithSummary("Erase the caller's account and personal data (right to erasure); needs the current password")
            .Accepts<EraseMeRequest>("application/json")
            .Produces<ErasureResponse>(StatusCodes.Status202Accepted).ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        var erasures = app.MapGroup("/api/erasures").WithTags("Identity");
        erasures.MapGet("/{id:guid}", GetAsync).WithName("GetErasure").AllowAnonymous()
            .WithSummary("Progress of an erasure: confirmed and pending domains")
            .Produces<ErasureResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        erasures.MapGet("/", ListAsync).WithName("ListErasures").RequireAuthorization(Policies.Staff)
            .WithSummary("Erasures for support, newest first; ?state=NeedsAttention lists the ones stuck")
            .Produces<IReadOnlyList<ErasureResponse>>().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }

    static async Task<IResult> EraseMeAsync(HttpContext http, ClaimsPrincipal caller, UserManager<CommerceUser> users, PasswordGate gate, ISessionStore sessions,
        OrderDbContext orders, ErasureDbContext erasures, BusOutbox<ErasureDbContext> outbox, TimeProvider clock, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<EraseMeRequest>(http.Request, required: true, cancellationToken);
        if (problem is not null)
            return problem;
        if (string.IsNullOrEmpty(body!.Password))
            return ProblemResults.Validation(new Dictionary<string, string[]> { ["password"] = ["Your current password is required to erase the account."] });

        var user = await users.GetUserAsync(caller);
        if (user is null)
            return Results.Unauthorized();
        if (await erasures.Requests.AsNoTracking().SingleOrDefaultAsync(r => r.CustomerId == user.Id, cancellationToken) is { } earlier)
            return Accepted(earlier);
        var check = await gate.CheckAsync(user, body.Password, http.Connection.RemoteIpAddress?.ToString());
        if (check.Verdict == PasswordVerdict.Throttled)
            return IdentityRegistration.TooManyRequests(check.RetryAfter);
        if (!check.Passed)
        {
            return ProblemResults.Unauthorized(ProblemTypes.InvalidCredentials, "Password wrong",
                "The password is wrong, or the account is temporarily locked; the account was not erased.");
        }

        var sagas = await orders.Orders.AsNoTracking().Where(o => o.CustomerId == user.Id)
            .Select(o => new { o.CorrelationId, o.CurrentState }).ToListAsync(cancellationToken);
        var accepted = await orders.Requests.AsNoTracking().Where(r => r.CustomerId == user.Id).Select(r => r.OrderId).ToListAsync(cancellationToken);
        var open = sagas.Where(o => !OrderStateMachine.TerminalStateNames.Contains(o.CurrentState)).Select(o => o.CorrelationId)
            .Concat(accepted.Except(sagas.Select(o => o.CorrelationId))).ToList();
        if (open.Count > 0)
        {
            return ProblemResults.Conflict(ProblemTypes.OrdersInFlight, "Orders still in flight",
                $"Orders {string.Join(", ", open)} are still being processed. Cancel them or wait until they end, then ask again.");
        }

        var request = new ErasureRequest { ErasureId = Guid.NewGuid(), CustomerId = user.Id, RequestedAt = clock.GetUtcNow() };
        erasures.Requests.Add(request);
        outbox.Send(QueueNames.ErasureSaga, new EraseCustomer
        {
            ErasureId = request.ErasureId,
            CustomerId = user.Id,
            OrderIds = [.. sagas.Select(o => o.CorrelationId).Union(accepted)],
            RequestedAt = request.RequestedAt,
        });
        try
        {
            await outbox.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A concurrent DELETE of the same account won the unique index: report its erasure.
            erasures.ChangeTracker.Clear();
            return Accepted(await erasures.Requests.AsNoTracking().SingleAsync(r => r.CustomerId == user.Id, cancellationToken));
        }

        // No new order, login or refresh from here on; the identity consumer deletes the account later.
        await users.SetLockoutEnabledAsync(user, true);
        // Far ahead rather than MaxValue, which not every store keeps as a plain timestamp.
        await users.SetLockoutEndDateAsync(user, request.RequestedAt.AddYears(100));
        await users.UpdateSecurityStampAsync(user);
        foreach (var session in await sessions.ListForUserAsync(user.Id, cancellationToken))
            await sessions.RevokeAsync(session, cancellationToken);
        LogRequested(loggers.CreateLogger("GlobalCommerce.Api.Identity.Erasure"), request.ErasureId, user.Id);
        return Accepted(request);
    }

    static async Task<IResult> GetAsync(Guid id, ClaimsPrincipal caller, ErasureDbContext db, CancellationToken cancellationToken)
    {
        var staff = caller.IsInRole(Roles.Support) || caller.IsInRole(Roles.Admin);
        if (await db.Erasures.AsNoTracking().SingleOrDefaultAsync(e => e.CorrelationId == id, cancellationToken) is { } saga)
            return Results.Ok(ToResponse(saga, staff));
        return await db.Requests.AsNoTracking().SingleOrDefaultAsync(r => r.ErasureId == id, cancellationToken) is { } request
            ? Results.Ok(ToResponse(request, staff))
            : ProblemResults.NotFound("Erasure", id);
    }

    static async Task<IResult> ListAsync(string? state, ErasureDbContext db, CancellationToken cancellationToken)
    {
        var query = db.Erasures.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(state))
            query = query.Where(e => e.CurrentState == state);
        var sagas = await query.OrderByDescending(e => e.RequestedAt).Take(200).ToListAsync(cancellationToken);
        return Results.Ok(sagas.Select(saga => ToResponse(saga, staff: true)).ToList());
    }

    static IResult Accepted(ErasureRequest request) => Results.Accepted($"/api/erasures/{request.ErasureId}", ToResponse(request, staff: false));

    static ErasureResponse ToResponse(ErasureRequest request, bool staff) => new(request.ErasureId, "Requested", [], ErasureDomains.All, 0,
        request.RequestedAt, null, null, staff ? request.CustomerId : null);

    static ErasureResponse ToResponse(ErasureState saga, bool staff) => new(saga.CorrelationId, saga.CurrentState, saga.ConfirmedDomains,
        ErasureStateMachine.Unconfirmed(saga), saga.Attempts, saga.RequestedAt, saga.CompletedAt, saga.FailureReason, staff ? saga.CustomerId : null);

    [LoggerMessage(Level = LogLevel.Information, Message = "Erasure {ErasureId} requested for customer {CustomerId}; account locked and sessions revoked")]
    static partial void LogRequested(ILogger logger, Guid erasureId, Guid customerId);
}

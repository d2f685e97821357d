using System.Security.Claims;
using GlobalCommerce.Api.Http;
using GlobalCommerce.Api.Orders;
using GlobalCommerce.Sagas.Orders;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Api.Identity;

public sealed record ConsentRequest(bool? MarketingEmails, bool? Personalisation, bool? Analytics);

public sealed record ConsentResponse(bool MarketingEmails, bool Personalisation, bool Analytics, DateTimeOffset? UpdatedAt);

public sealed record ProfileResponse(Guid Id, string Email, IReadOnlyList<string> Roles, bool TwoFactorEnabled, DateTimeOffset CreatedAt);

public sealed record SessionResponse(Guid Id, DateTimeOffset CreatedAt, DateTimeOffset RefreshedAt, DateTimeOffset ExpiresAt, bool Current);

public sealed record ExportedOrder(Guid OrderId, string State, decimal Total, string Currency, string? PaymentReference, string? TrackingNumber,
    DateTimeOffset SubmittedAt, object ShippingAddress, IReadOnlyList<OrderLineResponse> Lines);

public sealed record DataExport(DateTimeOffset ExportedAt, ProfileResponse Profile, ConsentResponse Consent, IReadOnlyList<SessionResponse> Sessions,
    IReadOnlyList<ExportedOrder> Orders, IReadOnlyList<string> PaymentReferences);

// The caller's own data: profile, consent, and the right of access (export).
public static class MeEndpoints
{
    // One instance for every export: an options instance builds its own serialization metadata on first use.
    static readonly System.Text.Json.JsonSerializerOptions SubmissionJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapMe(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/api/me").WithTags("Identity").RequireAuthorization();
        me.MapGet("/", ProfileAsync).WithName("GetProfile").WithSummary("The caller's account")
            .Produces<ProfileResponse>().ProducesProblem(StatusCodes.Status401Unauthorized);
        me.MapGet("/consent", ConsentAsync).WithName("GetConsent").WithSummary("The caller's consent preferences (all off until given)")
            .Produces<ConsentResponse>().ProducesProblem(StatusCodes.Status401Unauthorized);
        me.MapPut("/consent", SetConsentAsync).WithName("SetConsent").WithSummary("Give or withdraw consent; fields left out keep their value")
            .Accepts<ConsentRequest>("application/json")
            .Produces<ConsentResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status401Unauthorized);
        me.MapGet("/export", ExportAsync).WithName("ExportMyData")
            .WithSummary("Everything the platform holds about the caller as one JSON document (right of access)")
            .Produces<DataExport>().ProducesProblem(StatusCodes.Status401Unauthorized);
        return app;
    }

    static async Task<IResult> ProfileAsync(ClaimsPrincipal caller, UserManager<CommerceUser> users)
    {
        var user = await users.GetUserAsync(caller);
        return user is null ? Results.Unauthorized() : Results.Ok(await ProfileOf(users, user));
    }

    static async Task<IResult> ConsentAsync(ClaimsPrincipal caller, AuthDbContext db, CancellationToken cancellationToken) =>
        Results.Ok(ToResponse(await db.Consents.AsNoTracking().SingleOrDefaultAsync(c => c.UserId == UserId(caller), cancellationToken)));

    static async Task<IResult> SetConsentAsync(HttpContext http, ClaimsPrincipal caller, AuthDbContext db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<ConsentRequest>(http.Request, required: true, cancellationToken);
        if (problem is not null)
            return problem;
        var userId = UserId(caller);
        var now = clock.GetUtcNow();
        if (!await db.Consents.AnyAsync(c => c.UserId == userId, cancellationToken))
        {
            db.Consents.Add(new Consent { UserId = userId, UpdatedAt = now });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                // A concurrent first PUT inserted the row: update it like any other. Anything else is not ours to hide.
                db.ChangeTracker.Clear();
                if (!await db.Consents.AsNoTracking().AnyAsync(c => c.UserId == userId, cancellationToken))
                    throw;
            }

            db.ChangeTracker.Clear();
        }

        // One statement, setting only the fields sent: concurrent PUTs of different fields do not undo each other.
        await db.Consents.Where(c => c.UserId == userId).ExecuteUpdateAsync(set =>
        {
            if (body!.MarketingEmails is { } marketing)
                set.SetProperty(c => c.MarketingEmails, marketing);
            if (body.Personalisation is { } personalisation)
                set.SetProperty(c => c.Personalisation, personalisation);
            if (body.Analytics is { } analytics)
                set.SetProperty(c => c.Analytics, analytics);
            set.SetProperty(c => c.UpdatedAt, now);
        }, cancellationToken);
        return Results.Ok(ToResponse(await db.Consents.AsNoTracking().SingleAsync(c => c.UserId == userId, cancellationToken)));
    }

    static async Task<IResult> ExportAsync(ClaimsPrincipal caller, UserManager<CommerceUser> users, AuthDbContext db, ISessionStore sessions,
        OrderDbContext orders, TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = await users.GetUserAsync(caller);
        if (user is null)
            return Results.Unauthorized();
        var consent = await db.Consents.AsNoTracking().SingleOrDefaultAsync(c => c.UserId == user.Id, cancellationToken);
        var current = caller.FindFirstValue("sid");
        var mySessions = await sessions.ListForUserAsync(user.Id, cancellationToken);

        var sagas = await orders.Orders.AsNoTracking().Where(o => o.CustomerId == user.Id).OrderBy(o => o.SubmittedAt).ToListAsync(cancellationToken);
        var exported = sagas.Select(o => new ExportedOrder(o.CorrelationId, o.CurrentState, o.Total, o.Currency, o.PaymentReference, o.TrackingNumber,
            o.SubmittedAt, o.ShippingAddress, [.. o.Lines.Select(l => new OrderLineResponse(l.ProductId, l.Sku, l.Name, l.Quantity, l.UnitPrice))])).ToList();
        var known = sagas.Select(o => o.CorrelationId).ToHashSet();
        var accepted = await orders.Requests.AsNoTracking().Where(r => r.CustomerId == user.Id).ToListAsync(cancellationToken);
        foreach (var request in accepted.Where(r => !known.Contains(r.OrderId)))
        {
            var submitted = System.Text.Json.JsonSerializer.Deserialize<Contracts.Orders.SubmitOrder>(request.Submission, SubmissionJson)!;
            exported.Add(new ExportedOrder(submitted.OrderId, "Submitted", submitted.Total, submitted.Currency, null, null, submitted.SubmittedAt,
                submitted.ShippingAddress, [.. submitted.Lines.Select(l => new OrderLineResponse(l.ProductId, l.Sku, l.Name, l.Quantity, l.UnitPrice))]));
        }

        return Results.Ok(new DataExport(
            clock.GetUtcNow(),
            await ProfileOf(users, user),
            ToResponse(consent),
            [.. mySessions.Select(s => new SessionResponse(s.Id, s.CreatedAt, s.RefreshedAt, s.ExpiresAt, s.Id.ToString() == current))],
            exported,
            [.. exported.Where(o => o.PaymentReference is not null).Select(o => o.PaymentReference!)]));
    }

    static async Task<ProfileResponse> ProfileOf(UserManager<CommerceUser> users, CommerceUser user) =>
        new(user.Id, user.Email!, [.. await users.GetRolesAsync(user)], user.TwoFactorEnabled, user.CreatedAt);

    static ConsentResponse ToResponse(Consent? consent) => consent is null
        ? new ConsentResponse(false, false, false, null)
        : new ConsentResponse(consent.MarketingEmails, consent.Personalisation, consent.Analytics, consent.UpdatedAt);

    static Guid UserId(ClaimsPrincipal caller) => Guid.Parse(caller.FindFirstValue("sub")!);
}

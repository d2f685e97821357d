using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using GlobalCommerce.Api.Http;
using GlobalCommerce.Api.Problems;
using GlobalCommerce.Contracts.Identity;
using MassTransit;
using Microsoft.AspNetCore.Identity;

namespace GlobalCommerce.Api.Identity;

public static partial class AuthEndpoints
{
    public static IEndpointRouteBuilder MapAuth(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Identity");
        auth.MapPost("/register", RegisterAsync).WithName("Register").AllowAnonymous().RequireRateLimiting(IdentityRegistration.RegisterLimit)
            .WithSummary("Create a shopper account")
            .WithDescription("Answers 201 with the same body whether or not the address already has an account, so the answer does not reveal who is registered.")
            .Accepts<RegisterRequest>("application/json")
            .Produces<Registered>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        // Limited per IP and per account inside PasswordGate, on the budget every password check shares.
        auth.MapPost("/login", LoginAsync).WithName("Login").AllowAnonymous()
            .WithSummary("Exchange email, password (and TOTP or recovery code when MFA is on) for an access and a refresh token")
            .Accepts<LoginRequest>("application/json")
            .Produces<TokenResponse>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        auth.MapPost("/refresh", RefreshAsync).WithName("RefreshToken").AllowAnonymous().RequireRateLimiting(IdentityRegistration.LoginLimit)
            .WithSummary("Rotate a refresh token; presenting a used one revokes its whole session")
            .Accepts<RefreshRequest>("application/json")
            .Produces<TokenResponse>()
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        auth.MapPost("/logout", LogoutAsync).WithName("Logout").RequireAuthorization()
            .WithSummary("End the caller's session: its refresh token and access tokens stop working")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        auth.MapPost("/mfa/enrol", EnrolAsync).WithName("EnrolMfa").RequireAuthorization()
            .WithSummary("Start TOTP enrolment (needs the current password): a new shared secret and its otpauth:// URI for an authenticator app")
            .Accepts<MfaEnrolRequest>("application/json")
            .Produces<MfaEnrolment>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        auth.MapPost("/mfa/confirm", ConfirmAsync).WithName("ConfirmMfa").RequireAuthorization()
            .WithSummary("Confirm enrolment with a current code; from then on login needs a code. Returns ten one-time recovery codes")
            .Accepts<MfaConfirmRequest>("application/json")
            .Produces<RecoveryCodes>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);

        var wellKnown = app.MapGroup("/.well-known").WithTags("Identity").AllowAnonymous();
        wellKnown.MapGet("/jwks.json", (SigningKeys keys) => Results.Json(new { keys = new[] { Jwk(keys) } }))
            .WithName("Jwks").WithSummary("The public keys access tokens are signed with (JWKS)");
        wellKnown.MapGet("/openid-configuration", OpenIdConfiguration)
            .WithName("OpenIdConfiguration").WithSummary("OpenID Connect discovery document: issuer, JWKS location, algorithms");
        return app;
    }

    static async Task<IResult> RegisterAsync(HttpContext http, UserManager<CommerceUser> users, AccountRateLimiter accounts,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<RegisterRequest>(http.Request, required: true, cancellationToken);
        if (problem is not null)
            return problem;

        var email = body!.Email?.Trim() ?? string.Empty;
        if (accounts.TryAcquire("register:" + email) is { } wait)
            return IdentityRegistration.TooManyRequests(wait);

        var errors = new Dictionary<string, string[]>();
        if (email.Length is 0 or > 254 || !new EmailAddressAttribute().IsValid(email))
            errors["email"] = ["A valid email address is required."];
        var candidate = new CommerceUser { Id = Guid.NewGuid(), UserName = email, Email = email, CreatedAt = clock.GetUtcNow() };
        var passwordErrors = new List<string>();
        if (string.IsNullOrEmpty(body.Password))
            passwordErrors.Add("A password is required.");
        else
        {
            foreach (var validator in users.PasswordValidators)
            {
                var result = await validator.ValidateAsync(users, candidate, body.Password);
                passwordErrors.AddRange(result.Errors.Select(e => e.Description));
            }
        }

        if (passwordErrors.Count > 0)
            errors["password"] = [.. passwordErrors];
        if (errors.Count > 0)
            return ProblemResults.Validation(errors);

        if (await users.FindByEmailAsync(email) is null)
        {
            var created = await users.CreateAsync(candidate, body.Password!);
            if (created.Succeeded)
                await users.AddToRoleAsync(candidate, Roles.Shopper);
            else if (!created.Errors.All(e => e.Code is "DuplicateEmail" or "DuplicateUserName"))
                return ProblemResults.Validation(new Dictionary<string, string[]> { ["email"] = [.. created.Errors.Select(e => e.Description)] });
        }
        else
        {
            users.PasswordHasher.HashPassword(candidate, body.Password!);
        }

        return Results.Json(new Registered("If the address can be registered, the account is ready: log in to continue."),
            statusCode: StatusCodes.Status201Created);
    }

    static async Task<IResult> LoginAsync(HttpContext http, PasswordGate gate, UserManager<CommerceUser> users, TokenIssuer tokens,
        IPublishEndpoint publish, AuthFacts facts, TimeProvider clock, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<LoginRequest>(http.Request, required: true, cancellationToken);
        if (problem is not null)
            return problem;
        if (string.IsNullOrWhiteSpace(body!.Email) || string.IsNullOrEmpty(body.Password))
        {
            return ProblemResults.Validation(new Dictionary<string, string[]>
            {
                [string.IsNullOrWhiteSpace(body.Email) ? "email" : "password"] = ["Email and password are required."],
            });
        }

        var logger = loggers.CreateLogger("GlobalCommerce.Api.Identity.Login");
        var ip = http.Connection.RemoteIpAddress?.ToString();
        var now = clock.GetUtcNow();
        // A failure counted towards lockout records its facts in the transaction that counts it; the others below.
        var check = await gate.CheckAsync(body.Email, body.Password, ip, facts.FailedAsync);
        if (check.Verdict == PasswordVerdict.Throttled)
            return IdentityRegistration.TooManyRequests(check.RetryAfter);
        if (!check.Passed)
            return await FailedAsync(check);

        var user = check.User!;
        var usedSecondFactor = false;
        if (user.TwoFactorEnabled)
        {
            if (string.IsNullOrWhiteSpace(body.TotpCode))
            {
                return ProblemResults.Unauthorized(ProblemTypes.MfaRequired, "Second factor required",
                    "Send the current code of your authenticator app (or a recovery code) as totpCode.");
            }

            var second = await gate.CheckSecondFactorAsync(user, body.TotpCode, onCounted: facts.FailedAsync);
            if (!second.Passed)
                return await FailedAsync(second);
            usedSecondFactor = true;
        }

        await users.ResetAccessFailedCountAsync(user);
        var (session, refreshToken) = await tokens.StartSessionAsync(user.Id, cancellationToken);
        var pair = tokens.Issue(user, await users.GetRolesAsync(user), session, refreshToken);
        await PublishAsync(publish, new UserLoggedIn { UserId = user.Id, SessionId = session.Id, UsedSecondFactor = usedSecondFactor, IpAddress = ip, At = now }, logger);
        await facts.LoggedInAsync(user.Id, session.Id, usedSecondFactor);
        LogLoggedIn(logger, user.Id, session.Id);
        return Results.Ok(new TokenResponse(pair.AccessToken, pair.RefreshToken, pair.ExpiresIn));

        async Task<IResult> FailedAsync(PasswordCheck failure)
        {
            if (failure is { User: { } locked, LockedUntil: { } until })
            {
                await PublishAsync(publish, new UserLockedOut { UserId = locked.Id, LockedUntil = until, IpAddress = ip, At = now }, logger);
                LogLockedOut(logger, locked.Id, until);
            }

            await PublishAsync(publish, new LoginFailed { UserId = failure.User?.Id, Reason = failure.Reason, IpAddress = ip, At = now }, logger);
            if (!failure.Counted)
                await facts.FailedAsync(failure);
            LogLoginFailed(logger, failure.User?.Id, failure.Reason);
            // One answer for every failure: it must not tell an unknown address from a wrong password or a locked account.
            return ProblemResults.Unauthorized(ProblemTypes.InvalidCredentials, "Login failed",
                "The email address or password is wrong, or the account is temporarily locked.");
        }
    }

    static async Task<IResult> RefreshAsync(HttpContext http, UserManager<CommerceUser> users, TokenIssuer tokens, IPublishEndpoint publish,
        AuthFacts facts, TimeProvider clock, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<RefreshRequest>(http.Request, required: true, cancellationToken);
        if (problem is not null)
            return problem;
        if (string.IsNullOrWhiteSpace(body!.RefreshToken))
            return ProblemResults.Validation(new Dictionary<string, string[]> { ["refreshToken"] = ["A refresh token is required."] });

        var logger = loggers.CreateLogger("GlobalCommerce.Api.Identity.Refresh");
        var outcome = await tokens.RefreshAsync(body.RefreshToken.Trim(), cancellationToken);
        if (outcome is RefreshOutcome.Reused reused)
        {
            await PublishAsync(publish, new RefreshTokenReused
            {
                UserId = reused.Session.UserId,
                SessionId = reused.Session.Id,
                IpAddress = http.Connection.RemoteIpAddress?.ToString(),
                At = clock.GetUtcNow(),
            }, logger);
            await facts.ReusedAsync(reused.Session.UserId, reused.Session.Id);
            LogReuse(logger, reused.Session.UserId, reused.Session.Id);
        }

        if (outcome is not RefreshOutcome.Rotated rotated
            || await users.FindByIdAsync(rotated.Session.UserId.ToString()) is not { } user
            || await users.IsLockedOutAsync(user))
        {
            return ProblemResults.Unauthorized(ProblemTypes.InvalidRefreshToken, "Refresh token not accepted",
                "The refresh token is unknown, expired, revoked or was already used. Log in again.");
        }

        var pair = tokens.Issue(user, await users.GetRolesAsync(user), rotated.Session, rotated.RefreshToken);
        await PublishAsync(publish, new AccessTokenRefreshed { UserId = user.Id, SessionId = rotated.Session.Id, At = clock.GetUtcNow() }, logger);
        await facts.RefreshedAsync(user.Id, rotated.Session.Id);
        return Results.Ok(new TokenResponse(pair.AccessToken, pair.RefreshToken, pair.ExpiresIn));
    }

    static async Task<IResult> LogoutAsync(ClaimsPrincipal principal, ISessionStore sessions, CancellationToken cancellationToken)
    {
        if (Guid.TryParse(principal.FindFirstValue("sid"), out var sessionId)
            && await sessions.FindAsync(sessionId, cancellationToken) is { } session)
            await sessions.RevokeAsync(session, cancellationToken);
        return Results.NoContent();
    }

    // Needs the current password: a stolen access token alone must not be able to bind the attacker's authenticator.
    static async Task<IResult> EnrolAsync(HttpContext http, ClaimsPrincipal principal, UserManager<CommerceUser> users, PasswordGate gate,
        CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<MfaEnrolRequest>(http.Request, required: true, cancellationToken);
        if (problem is not null)
            return problem;
        if (string.IsNullOrEmpty(body!.Password))
            return ProblemResults.Validation(new Dictionary<string, string[]> { ["password"] = ["Your current password is required to enrol an authenticator."] });
        var user = await users.GetUserAsync(principal);
        if (user is null)
            return Results.Unauthorized();
        var check = await gate.CheckAsync(user, body.Password, http.Connection.RemoteIpAddress?.ToString());
        if (check.Verdict == PasswordVerdict.Throttled)
            return IdentityRegistration.TooManyRequests(check.RetryAfter);
        if (!check.Passed)
            return ProblemResults.Unauthorized(ProblemTypes.InvalidCredentials, "Password wrong", "The password is wrong, or the account is temporarily locked.");
        if (user.TwoFactorEnabled)
        {
            return ProblemResults.Conflict(ProblemTypes.MfaAlreadyEnabled, "MFA already enabled",
                "The account already has an authenticator; enrolling again would lock out the current one.");
        }

        await users.ResetAuthenticatorKeyAsync(user);
        var key = (await users.GetAuthenticatorKeyAsync(user))!;
        var label = Uri.EscapeDataString($"GlobalCommerce:{user.Email}");
        return Results.Ok(new MfaEnrolment(key, $"otpauth://totp/{label}?secret={key}&issuer=GlobalCommerce&digits=6&period=30"));
    }

    // The code proves the caller holds the secret enrol just returned; enrol itself asked for the password. The step it
    // uses is spent, so the same code cannot log in afterwards.
    static async Task<IResult> ConfirmAsync(HttpContext http, ClaimsPrincipal principal, UserManager<CommerceUser> users, PasswordGate gate,
        CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<MfaConfirmRequest>(http.Request, required: true, cancellationToken);
        if (problem is not null)
            return problem;
        var user = await users.GetUserAsync(principal);
        if (user is null)
            return Results.Unauthorized();
        if (user.TwoFactorEnabled)
        {
            return ProblemResults.Conflict(ProblemTypes.MfaAlreadyEnabled, "MFA already enabled",
                "The account already has a confirmed authenticator.");
        }

        if (await users.GetAuthenticatorKeyAsync(user) is null
            || !(await gate.CheckSecondFactorAsync(user, body!.Code ?? string.Empty, allowRecoveryCode: false)).Passed)
        {
            return ProblemResults.Validation(new Dictionary<string, string[]>
            {
                ["code"] = ["The code does not match the enrolled authenticator (enrol first, and check the device's clock)."],
            });
        }

        await users.SetTwoFactorEnabledAsync(user, true);
        var codes = await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 10);
        return Results.Ok(new RecoveryCodes([.. codes!]));
    }

    static object Jwk(SigningKeys keys) => new
    {
        kty = keys.PublicJwk.Kty,
        use = keys.PublicJwk.Use,
        alg = keys.PublicJwk.Alg,
        kid = keys.PublicJwk.KeyId,
        crv = keys.PublicJwk.Crv,
        x = keys.PublicJwk.X,
        y = keys.PublicJwk.Y,
    };

    static IResult OpenIdConfiguration(HttpRequest request, AuthOptions options)
    {
        var origin = $"{request.Scheme}://{request.Host}";
        return Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = options.Issuer,
            ["jwks_uri"] = $"{origin}/.well-known/jwks.json",
            ["token_endpoint"] = $"{origin}/api/auth/login",
            ["response_types_supported"] = new[] { "token" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { SigningKeys.Algorithm },
            ["token_endpoint_auth_methods_supported"] = new[] { "none" },
            ["claims_supported"] = new[] { "sub", "email", "role", "sid", "iss", "aud", "exp", "iat", "jti" },
        });
    }

    // Analytics events: a broker outage must not stop people logging in.
    static async Task PublishAsync<T>(IPublishEndpoint publish, T message, ILogger logger)
        where T : class
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await publish.Publish(message, timeout.Token);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogPublishFailed(logger, typeof(T).Name, exception.GetType().Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} logged in, session {SessionId}")]
    static partial void LogLoggedIn(ILogger logger, Guid userId, Guid sessionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Login failed for user {UserId}: {Reason}")]
    static partial void LogLoginFailed(ILogger logger, Guid? userId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId} locked out until {LockedUntil}")]
    static partial void LogLockedOut(ILogger logger, Guid userId, DateTimeOffset lockedUntil);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refresh token reused for user {UserId}: session {SessionId} revoked")]
    static partial void LogReuse(ILogger logger, Guid userId, Guid sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish {EventType}: {Error}")]
    static partial void LogPublishFailed(ILogger logger, string eventType, string error);
}

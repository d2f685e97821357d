using System.Globalization;
using System.Threading.RateLimiting;
using GlobalCommerce.Api.Problems;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.Tokens;
using StackExchange.Redis;

namespace GlobalCommerce.Api.Identity;

public static class IdentityRegistration
{
    public const string LoginLimit = "login";
    public const string RegisterLimit = "register";

    public static IServiceCollection AddCommerceIdentity(this IServiceCollection services, IConfiguration configuration, CommerceOptions commerce)
    {
        var auth = AuthOptions.From(configuration);
        services.AddSingleton(auth);
        services.AddDomainDbContext<AuthDbContext>(commerce, "auth");
        services.AddIdentityCore<CommerceUser>(identity =>
            {
                identity.User.RequireUniqueEmail = true;
                identity.ClaimsIdentity.UserIdClaimType = "sub";
                identity.ClaimsIdentity.EmailClaimType = "email";
                identity.ClaimsIdentity.RoleClaimType = "role";
                identity.Password.RequiredLength = 10;
                identity.Password.RequireDigit = true;
                identity.Password.RequireLowercase = true;
                identity.Password.RequireUppercase = true;
                identity.Password.RequireNonAlphanumeric = false;
                identity.Password.RequiredUniqueChars = 5;
                identity.Lockout.AllowedForNewUsers = true;
                identity.Lockout.MaxFailedAccessAttempts = auth.MaxFailedAccessAttempts;
                identity.Lockout.DefaultLockoutTimeSpan = auth.LockoutDuration;
            })
            .AddRoles<IdentityRole<Guid>>()
            .AddEntityFrameworkStores<AuthDbContext>()
            .AddDefaultTokenProviders()
            .AddPasswordValidator<CommonPasswordValidator>();

        services.Configure<PasswordHasherOptions>(hasher => hasher.IterationCount = auth.PasswordHashIterations);
        services.AddSingleton(_ => SigningKeys.Load(auth, commerce));
        services.AddSingleton<TokenIssuer>();
        if (auth.SessionStore == SessionStoreKind.Redis)
        {
            services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(auth.RedisConnection));
            services.AddSingleton<ISessionStore, RedisSessionStore>();
        }
        else
        {
            services.AddSingleton<ISessionStore, MemorySessionStore>();
        }

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<SigningKeys>((jwt, keys) =>
        {
            jwt.MapInboundClaims = false;
            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = auth.Issuer,
                ValidAudience = auth.Audience,
                IssuerSigningKey = keys.ValidationKey,
                ValidAlgorithms = [SigningKeys.Algorithm],
                RequireSignedTokens = true,
                RequireExpirationTime = true,
                ClockSkew = TimeSpan.FromSeconds(30),
                NameClaimType = "sub",
                RoleClaimType = "role",
            };
            // A logged-out or revoked session ends its access tokens too, not only its refresh token.
            jwt.Events = new JwtBearerEvents
            {
                OnTokenValidated = async context =>
                {
                    var sessions = context.HttpContext.RequestServices.GetRequiredService<ISessionStore>();
                    if (!Guid.TryParse(context.Principal?.FindFirst("sid")?.Value, out var sessionId)
                        || await sessions.FindAsync(sessionId, context.HttpContext.RequestAborted) is null)
                        context.Fail("The session has ended.");
                },
            };
        });

        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(Policies.Shopper, policy => policy.RequireRole(Roles.Shopper))
            .AddPolicy(Policies.Staff, policy => policy.RequireRole(Roles.Support, Roles.Admin))
            .AddPolicy(Policies.OrderReader, policy => policy.RequireRole(Roles.Shopper, Roles.Support, Roles.Admin));

        services.AddSingleton<AccountRateLimiter>();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(LoginLimit, http => PerIp(http, auth.RateLimits.LoginPerIp, auth.RateLimits.Window));
            limiter.AddPolicy(RegisterLimit, http => PerIp(http, auth.RateLimits.RegisterPerIp, auth.RateLimits.Window));
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : auth.RateLimits.Window;
                await TooManyRequests(retryAfter).ExecuteAsync(context.HttpContext);
            };
        });

        var seedDemoAccounts = auth.ShouldSeedDemoAccounts(commerce);
        services.AddHostedService(provider => new IdentitySeeder(provider.GetRequiredService<IServiceScopeFactory>(), seedDemoAccounts,
            provider.GetRequiredService<ILogger<IdentitySeeder>>()));
        return services;
    }

    // Authentication first, so that the rate limiter and authorization see who is calling.
    public static WebApplication UseCommerceIdentity(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        return app;
    }

    // Sign-in and tokens, the account holder's own data, and erasures (DELETE /api/me, /api/erasures for their status).
    public static IEndpointRouteBuilder MapIdentity(this IEndpointRouteBuilder app) => app.MapAuth().MapMe().MapErasure();

    public static IResult TooManyRequests(TimeSpan retryAfter) => new RetryAfterResult(retryAfter, Results.Problem(
        statusCode: StatusCodes.Status429TooManyRequests, type: ProblemTypes.TooManyRequests, title: "Too many attempts",
        detail: "Wait before trying again; see the Retry-After header."));

    static RateLimitPartition<string> PerIp(HttpContext http, int permits, TimeSpan window) =>
        RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
            _ => new FixedWindowRateLimiterOptions { PermitLimit = Math.Max(permits, 1), Window = window, QueueLimit = 0 });

    sealed class RetryAfterResult(TimeSpan retryAfter, IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}

// Per account (normalised email), alongside the per-IP policy: one address attacked from many addresses is still limited.
public sealed class AccountRateLimiter(AuthOptions options) : IDisposable
{
    readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(account =>
        RateLimitPartition.GetFixedWindowLimiter(account, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(options.RateLimits.LoginPerAccount, 1),
            Window = options.RateLimits.Window,
            QueueLimit = 0,
        }));

    public TimeSpan? TryAcquire(string account)
    {
        using var lease = _limiter.AttemptAcquire(account.ToUpperInvariant());
        if (lease.IsAcquired)
            return null;
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : options.RateLimits.Window;
    }

    public void Dispose() => _limiter.Dispose();
}

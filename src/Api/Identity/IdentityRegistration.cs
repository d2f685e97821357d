using System.Globalization;
using System.Threading.RateLimiting;
using GlobalCommerce.Api.Problems;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
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
            .AddUserStore<ProtectedUserStore>()
            .AddDefaultTokenProviders()
            .AddPasswordValidator<CommonPasswordValidator>();

        services.Configure<PasswordHasherOptions>(hasher => hasher.IterationCount = auth.PasswordHashIterations);
        services.AddScoped<PasswordGate>();
        services.AddScoped<AuthFacts>();
        // Authentication facts on analytics-events; those written with a lockout count are relayed from auth_db's outbox.
        services.AddCommerceStreams(configuration, commerce)
            .Produce<Contracts.Streams.UserLoggedIn>(StreamNames.AnalyticsEvents)
            .Produce<Contracts.Streams.LoginFailed>(StreamNames.AnalyticsEvents)
            .Produce<Contracts.Streams.UserLockedOut>(StreamNames.AnalyticsEvents)
            .Produce<Contracts.Streams.AccessTokenRefreshed>(StreamNames.AnalyticsEvents)
            .Produce<Contracts.Streams.RefreshTokenReused>(StreamNames.AnalyticsEvents)
            .Outbox<AuthDbContext>();
        services.AddSingleton(_ => new DecoyPasswordHash(
            new PasswordHasher<CommerceUser>(Options.Create(new PasswordHasherOptions { IterationCount = auth.PasswordHashIterations }))));
        services.AddDataProtection().SetApplicationName("GlobalCommerce").PersistKeysToFileSystem(OwnerOnlyDirectory(
            auth.DataProtectionKeysPath is { Length: > 0 } keys ? keys : Path.Combine(OwnerOnlyDirectory(commerce.DataDirectory).FullName, "data-protection-keys")));
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
            .AddPolicy(Policies.OrderReader, policy => policy.RequireRole(Roles.Shopper, Roles.Support, Roles.Admin))
            .AddPolicy(Policies.Vendor, policy => policy.RequireRole(Roles.Vendor))
            .AddPolicy(Policies.CatalogEditor, policy => policy.RequireRole(Roles.Vendor, Roles.Admin));

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

    // Created before the key ring writes into it: the keys decrypt every authenticator secret, so only this user reads them.
    // Set on the folder itself too, since CreateDirectory gives missing parents the default mode.
    static DirectoryInfo OwnerOnlyDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
            return Directory.CreateDirectory(path);
        var directory = Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        directory.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        return directory;
    }

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

// Per account (normalised email): one address attacked from many addresses is still limited. Per IP for password
// checks: one budget (LoginPerIp) shared by every place that checks a password, so spreading guesses over the API
// login, the console sign-in and DELETE /api/me gains an attacker nothing.
public sealed class AccountRateLimiter(AuthOptions options) : IDisposable
{
    readonly PartitionedRateLimiter<string> _accounts = Create(options.RateLimits.LoginPerAccount, options.RateLimits.Window);
    readonly PartitionedRateLimiter<string> _addresses = Create(options.RateLimits.LoginPerIp, options.RateLimits.Window);

    public TimeSpan? TryAcquire(string account) => Acquire(_accounts, account.ToUpperInvariant());

    public TimeSpan? TryAcquireIp(string ip) => Acquire(_addresses, ip);

    public void Dispose()
    {
        _accounts.Dispose();
        _addresses.Dispose();
    }

    TimeSpan? Acquire(PartitionedRateLimiter<string> limiter, string key)
    {
        using var lease = limiter.AttemptAcquire(key);
        if (lease.IsAcquired)
            return null;
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : options.RateLimits.Window;
    }

    static PartitionedRateLimiter<string> Create(int permits, TimeSpan window) => PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(permits, 1),
            Window = window,
            QueueLimit = 0,
        }));
}

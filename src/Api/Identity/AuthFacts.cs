using GlobalCommerce.Platform.Streams;
using Facts = GlobalCommerce.Contracts.Streams;

namespace GlobalCommerce.Api.Identity;

// Flow 1 step 8: the authentication facts on analytics-events, keyed by the user id ("anonymous" for an address that
// belongs to no account). A fact about a write to auth_db (a failed attempt counted, the lockout it caused) is produced
// while that write's transaction is open: it joins it through auth_db's stream outbox (one more INSERT in that commit)
// and is on the stream if and only if the write committed. The others have no auth_db write to join (sessions live in
// the session store) and are produced directly, in a scope of their own; a stream that is down costs the fact, never
// the login. Ids, reasons and times only: no address, no IP.
public sealed partial class AuthFacts(
    AuthDbContext db, IStreamTransaction transaction, IServiceProvider services, IServiceScopeFactory scopes, TimeProvider clock,
    ILogger<AuthFacts> logger)
{
    public const string AnonymousKey = "anonymous";

    static readonly TimeSpan DirectTimeout = TimeSpan.FromSeconds(5);

    public Task LoggedInAsync(Guid userId, Guid sessionId, bool usedSecondFactor) =>
        ProduceAsync(new Facts.UserLoggedIn { UserId = userId, SessionId = sessionId, UsedSecondFactor = usedSecondFactor, At = clock.GetUtcNow() }, userId);

    // A failed login, and the lockout it caused if it did.
    public async Task FailedAsync(PasswordCheck failure)
    {
        var now = clock.GetUtcNow();
        if (failure is { User: { } locked, LockedUntil: { } until })
            await ProduceAsync(new Facts.UserLockedOut { UserId = locked.Id, LockedUntil = until, At = now }, locked.Id);
        await ProduceAsync(new Facts.LoginFailed { UserId = failure.User?.Id, Reason = failure.Reason, At = now }, failure.User?.Id);
    }

    public Task RefreshedAsync(Guid userId, Guid sessionId) =>
        ProduceAsync(new Facts.AccessTokenRefreshed { UserId = userId, SessionId = sessionId, At = clock.GetUtcNow() }, userId);

    public Task ReusedAsync(Guid userId, Guid sessionId) =>
        ProduceAsync(new Facts.RefreshTokenReused { UserId = userId, SessionId = sessionId, At = clock.GetUtcNow() }, userId);

    async Task ProduceAsync<T>(T fact, Guid? userId)
        where T : class
    {
        var key = userId?.ToString() ?? AnonymousKey;
        if (db.Database.CurrentTransaction is not null)
        {
            // Saved and committed by whoever opened the transaction (PasswordGate), with its write.
            transaction.Enlist(db);
            await services.GetRequiredService<ITopicProducer<T>>().Produce(fact, key);
            return;
        }

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            using var timeout = new CancellationTokenSource(DirectTimeout);
            await scope.ServiceProvider.GetRequiredService<ITopicProducer<T>>().Produce(fact, key, timeout.Token);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogProduceFailed(logger, typeof(T).Name, exception.GetType().Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not produce {EventType} to analytics-events: {Error}")]
    static partial void LogProduceFailed(ILogger logger, string eventType, string error);
}

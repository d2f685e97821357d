using System.Collections.Concurrent;
using System.Text.Json;
using StackExchange.Redis;

namespace GlobalCommerce.Api.Identity;

// One session per login: a refresh-token family. Rotation replaces CurrentTokenHash and remembers the old hash, so a
// token presented twice is recognised as stolen and the whole family is revoked. Only hashes are stored.
public sealed record Session(
    Guid Id,
    Guid UserId,
    string CurrentTokenHash,
    IReadOnlyList<string> UsedTokenHashes,
    DateTimeOffset CreatedAt,
    DateTimeOffset RefreshedAt,
    DateTimeOffset ExpiresAt);

public interface ISessionStore
{
    Task CreateAsync(Session session, CancellationToken cancellationToken);

    Task<Session?> FindAsync(Guid sessionId, CancellationToken cancellationToken);

    // Compare and swap: succeeds only while the stored session is still `expected`, so two refreshes racing with one
    // token cannot both win.
    Task<bool> ReplaceAsync(Session expected, Session replacement, CancellationToken cancellationToken);

    Task RevokeAsync(Session session, CancellationToken cancellationToken);

    Task<IReadOnlyList<Session>> ListForUserAsync(Guid userId, CancellationToken cancellationToken);
}

public sealed class MemorySessionStore(TimeProvider clock) : ISessionStore
{
    readonly ConcurrentDictionary<Guid, Session> _sessions = new();

    public Task CreateAsync(Session session, CancellationToken cancellationToken)
    {
        _sessions[session.Id] = session;
        return Task.CompletedTask;
    }

    public Task<Session?> FindAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        if (_sessions.TryGetValue(sessionId, out var session) && session.ExpiresAt <= clock.GetUtcNow())
        {
            _sessions.TryRemove(new KeyValuePair<Guid, Session>(sessionId, session));
            session = null;
        }

        return Task.FromResult(session);
    }

    public Task<bool> ReplaceAsync(Session expected, Session replacement, CancellationToken cancellationToken) =>
        Task.FromResult(_sessions.TryUpdate(expected.Id, replacement, expected));

    public Task RevokeAsync(Session session, CancellationToken cancellationToken)
    {
        _sessions.TryRemove(session.Id, out _);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<Session>> ListForUserAsync(Guid userId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        return Task.FromResult<IReadOnlyList<Session>>(
            [.. _sessions.Values.Where(s => s.UserId == userId && s.ExpiresAt > now).OrderBy(s => s.CreatedAt)]);
    }
}

// Each session is one string key whose TTL is the refresh token's remaining life; a set per user indexes them.
public sealed class RedisSessionStore(IConnectionMultiplexer redis, AuthOptions options, TimeProvider clock) : ISessionStore
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    IDatabase Db => redis.GetDatabase();

    RedisKey SessionKey(Guid id) => $"{options.RedisKeyPrefix}session:{id:N}";

    RedisKey UserKey(Guid userId) => $"{options.RedisKeyPrefix}user-sessions:{userId:N}";

    public async Task CreateAsync(Session session, CancellationToken cancellationToken)
    {
        var transaction = Db.CreateTransaction();
        _ = transaction.StringSetAsync(SessionKey(session.Id), Serialize(session), Ttl(session));
        _ = transaction.SetAddAsync(UserKey(session.UserId), session.Id.ToString("N"));
        // Every new or rotated session lives the full lifetime, so the index outlives each session in it.
        _ = transaction.KeyExpireAsync(UserKey(session.UserId), options.RefreshTokenLifetime);
        await transaction.ExecuteAsync();
    }

    public async Task<Session?> FindAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        var value = await Db.StringGetAsync(SessionKey(sessionId));
        return value.IsNullOrEmpty ? null : JsonSerializer.Deserialize<Session>(value.ToString(), Json);
    }

    public async Task<bool> ReplaceAsync(Session expected, Session replacement, CancellationToken cancellationToken)
    {
        var transaction = Db.CreateTransaction();
        transaction.AddCondition(Condition.StringEqual(SessionKey(expected.Id), Serialize(expected)));
        _ = transaction.StringSetAsync(SessionKey(replacement.Id), Serialize(replacement), Ttl(replacement));
        _ = transaction.KeyExpireAsync(UserKey(replacement.UserId), options.RefreshTokenLifetime);
        return await transaction.ExecuteAsync();
    }

    public async Task RevokeAsync(Session session, CancellationToken cancellationToken)
    {
        var transaction = Db.CreateTransaction();
        _ = transaction.KeyDeleteAsync(SessionKey(session.Id));
        _ = transaction.SetRemoveAsync(UserKey(session.UserId), session.Id.ToString("N"));
        await transaction.ExecuteAsync();
    }

    public async Task<IReadOnlyList<Session>> ListForUserAsync(Guid userId, CancellationToken cancellationToken)
    {
        var ids = await Db.SetMembersAsync(UserKey(userId));
        var sessions = new List<Session>();
        foreach (var id in ids)
        {
            var sessionId = Guid.ParseExact(id.ToString(), "N");
            if (await FindAsync(sessionId, cancellationToken) is { } session)
                sessions.Add(session);
            else
                await Db.SetRemoveAsync(UserKey(userId), id);
        }

        return [.. sessions.OrderBy(s => s.CreatedAt)];
    }

    static string Serialize(Session session) => JsonSerializer.Serialize(session, Json);

    TimeSpan Ttl(Session session)
    {
        var left = session.ExpiresAt - clock.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1);
    }
}

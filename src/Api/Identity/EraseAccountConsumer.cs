using GlobalCommerce.Contracts.Erasure;
using GlobalCommerce.Contracts.Identity;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Sagas.Erasure;
using MassTransit;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Api.Identity;

// The identity domain's part of an erasure: every session ends, the consent row goes, and the user row is deleted,
// taking its password hash, roles, claims, authenticator key and recovery codes with it (Identity's cascades).
// What remains is the erasure saga's record in erasure_db: ids and dates, no email. Deleting what is already gone
// changes nothing, so a redelivery only confirms again.
public sealed partial class EraseAccountConsumer(UserManager<CommerceUser> users, AuthDbContext db, ISessionStore sessions, TimeProvider clock,
    ILogger<EraseAccountConsumer> logger) : IConsumer<EraseAccount>
{
    public async Task Consume(ConsumeContext<EraseAccount> context)
    {
        var command = context.Message;
        var ct = context.CancellationToken;
        foreach (var session in await sessions.ListForUserAsync(command.CustomerId, ct))
            await sessions.RevokeAsync(session, ct);

        await db.Consents.Where(c => c.UserId == command.CustomerId).ExecuteDeleteAsync(ct);
        var deleted = false;
        if (await users.FindByIdAsync(command.CustomerId.ToString()) is { } user)
        {
            var result = await users.DeleteAsync(user);
            if (!result.Succeeded)
                throw new InvalidOperationException($"Could not delete user {command.CustomerId}: {string.Join(", ", result.Errors.Select(e => e.Code))}");
            deleted = true;
        }

        LogErased(logger, command.ErasureId, command.CustomerId, deleted);
        await context.Publish(new CustomerDataErased
        {
            ErasureId = command.ErasureId,
            CustomerId = command.CustomerId,
            Domain = ErasureDomains.Identity,
            ErasedAt = clock.GetUtcNow(),
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Erasure {ErasureId}: account {CustomerId} erased (deleted now: {Deleted})")]
    static partial void LogErased(ILogger logger, Guid erasureId, Guid customerId, bool deleted);
}

public static class AccountErasureRegistration
{
    // The API's side of erasures: it stores each accepted request with the bus-outbox message that starts the saga
    // and reads erasure_db for status. The saga runs wherever the mode puts it.
    public static IServiceCollection AddErasure(this IServiceCollection services, CommerceOptions options, IConfiguration configuration) =>
        services.AddErasureDatabase(options).AddBusOutbox<ErasureDbContext>(configuration);

    // auth_db has no inbox/outbox tables (it predates them and schemas are created, not migrated): the consumer is
    // idempotent by nature and publishes its confirmation after its changes are saved.
    public static IBusRegistrationConfigurator AddAccountErasure(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<EraseAccountConsumer>();
        return bus;
    }
}

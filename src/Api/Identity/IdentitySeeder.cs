using GlobalCommerce.Consumers.Catalog;
using Microsoft.AspNetCore.Identity;

namespace GlobalCommerce.Api.Identity;

// Roles always exist. Demo accounts only in the embedded mode (see AuthOptions.SeedDemoAccounts); the distributed mode
// gets its first admin from the create-admin command.
public sealed partial class IdentitySeeder(IServiceScopeFactory scopes, bool seedDemoAccounts, ILogger<IdentitySeeder> logger)
    : IHostedService
{
    public const string DemoPassword = "Demo-Passw0rd!";

    public static readonly (string Email, string Role)[] DemoAccounts =
    [
        ("shopper@demo.local", Roles.Shopper),
        ("vendor@demo.local", Roles.Vendor),
        ("support@demo.local", Roles.Support),
        ("admin@demo.local", Roles.Admin),
    ];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await EnsureRolesAsync(scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole<Guid>>>());
        if (!seedDemoAccounts)
            return;

        var users = scope.ServiceProvider.GetRequiredService<UserManager<CommerceUser>>();
        foreach (var (email, role) in DemoAccounts)
        {
            if (await users.FindByEmailAsync(email) is not null)
                continue;
            // The demo vendor's id is the one the demo catalog's products name as their vendor.
            var id = role == Roles.Vendor ? DemoCatalog.DemoVendorId : Guid.NewGuid();
            var user = new CommerceUser { Id = id, UserName = email, Email = email, EmailConfirmed = true, CreatedAt = DateTimeOffset.UtcNow };
            var created = await users.CreateAsync(user, DemoPassword);
            if (created.Succeeded)
                created = await users.AddToRoleAsync(user, role);
            if (!created.Succeeded)
                throw new InvalidOperationException($"Could not seed demo account {email}: {string.Join("; ", created.Errors.Select(e => e.Code))}");
            LogSeeded(logger, role);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public static async Task EnsureRolesAsync(RoleManager<IdentityRole<Guid>> roles)
    {
        foreach (var role in Roles.All)
        {
            if (!await roles.RoleExistsAsync(role))
                await roles.CreateAsync(new IdentityRole<Guid>(role) { Id = Guid.NewGuid() });
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Seeded the demo {Role} account")]
    static partial void LogSeeded(ILogger logger, string role);
}

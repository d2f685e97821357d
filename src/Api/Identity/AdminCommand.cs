using GlobalCommerce.Platform.Persistence;
using Microsoft.AspNetCore.Identity;

namespace GlobalCommerce.Api.Identity;

// dotnet run --project src/Api -- create-admin --email ops@example.com
// The password comes from GC_ADMIN_PASSWORD or, when that is unset, the first line of standard input; never from the
// command line, where it would land in shell history and process listings.
public static class AdminCommand
{
    public static async Task<bool> TryRunAsync(WebApplication app, string[] args)
    {
        if (args.Length == 0 || args[0] != "create-admin")
            return false;

        var emailAt = Array.IndexOf(args, "--email");
        if (emailAt < 0 || emailAt + 1 >= args.Length)
        {
            await Console.Error.WriteLineAsync("usage: create-admin --email ADDRESS   (password from GC_ADMIN_PASSWORD or stdin)");
            Environment.ExitCode = 2;
            return true;
        }

        var password = Environment.GetEnvironmentVariable("GC_ADMIN_PASSWORD");
        if (string.IsNullOrEmpty(password))
            password = (await Console.In.ReadLineAsync())?.TrimEnd('\r', '\n');

        var initializer = app.Services.GetServices<IHostedService>().OfType<DatabaseInitializer>().Single();
        await initializer.StartAsync(CancellationToken.None);
        var result = await CreateAsync(app.Services, args[emailAt + 1], password ?? string.Empty);
        if (result.Succeeded)
        {
            Console.WriteLine("admin account ready");
        }
        else
        {
            foreach (var error in result.Errors)
                await Console.Error.WriteLineAsync($"{error.Code}: {error.Description}");
            Environment.ExitCode = 1;
        }

        return true;
    }

    // Creates the account, or gives an existing one the admin role (its password is then left unchanged).
    public static async Task<IdentityResult> CreateAsync(IServiceProvider services, string email, string password)
    {
        await using var scope = services.CreateAsyncScope();
        await IdentitySeeder.EnsureRolesAsync(scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole<Guid>>>());
        var users = scope.ServiceProvider.GetRequiredService<UserManager<CommerceUser>>();
        var user = await users.FindByEmailAsync(email);
        if (user is null)
        {
            user = new CommerceUser { Id = Guid.NewGuid(), UserName = email, Email = email, EmailConfirmed = true, CreatedAt = DateTimeOffset.UtcNow };
            var created = await users.CreateAsync(user, password);
            if (!created.Succeeded)
                return created;
        }

        return await users.IsInRoleAsync(user, Roles.Admin) ? IdentityResult.Success : await users.AddToRoleAsync(user, Roles.Admin);
    }
}

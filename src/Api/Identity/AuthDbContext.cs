using GlobalCommerce.Platform.Persistence;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using GlobalCommerce.Platform.Streams;

namespace GlobalCommerce.Api.Identity;

// auth_db: Identity's users, roles, claims, authenticator keys and recovery codes, and each user's consent.
public sealed class AuthDbContext(DbContextOptions<AuthDbContext> options)
    : IdentityDbContext<CommerceUser, IdentityRole<Guid>, Guid>(options)
{
    public DbSet<Consent> Consents => Set<Consent>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.AddStreamTables();
        builder.Entity<Consent>(consent =>
        {
            consent.ToTable("consents");
            consent.HasKey(c => c.UserId);
        });
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.ApplyProviderConventions(Database);
}

using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Fraud;

// fraud_db: one assessment per order, kept so a redelivery gets the same verdict and velocity can be counted.
public sealed class FraudDbContext(DbContextOptions<FraudDbContext> options) : DbContext(options)
{
    public DbSet<FraudAssessment> Assessments => Set<FraudAssessment>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddTransactionalOutbox();
        var assessment = modelBuilder.Entity<FraudAssessment>();
        assessment.ToTable("fraud_assessments");
        assessment.HasKey(a => a.OrderId);
        assessment.Property(a => a.OrderId).ValueGeneratedNever();
        assessment.Property(a => a.Reasons).HasMaxLength(2000);
        assessment.HasIndex(a => new { a.CustomerId, a.AssessedAt });
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.ApplyProviderConventions(Database);
}

using GlobalCommerce.Contracts.Fraud;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Fraud;

public sealed class AssessFraudConsumer(FraudDbContext db, FraudOptions options, TimeProvider clock) : IConsumer<AssessFraud>
{
    public async Task Consume(ConsumeContext<AssessFraud> context)
    {
        var order = context.Message;
        var ct = context.CancellationToken;

        // The verdict is given once: a redelivery must not be judged again with a velocity count that includes itself.
        var assessment = await db.Assessments.AsNoTracking().SingleOrDefaultAsync(a => a.OrderId == order.OrderId, ct);
        if (assessment is null)
        {
            var now = clock.GetUtcNow();
            var hourAgo = now.AddHours(-1);
            var recent = await db.Assessments.CountAsync(a => a.CustomerId == order.CustomerId && a.AssessedAt > hourAgo, ct);
            var verdict = FraudRules.Score(
                new FraudSignals(order.Total, order.ItemCount, order.ShippingCountry, order.PaymentToken, recent),
                options.HighRiskCountries, options.VelocityLimitPerHour);

            // A concurrent duplicate fails on the primary key and its retry reads this row.
            assessment = new FraudAssessment
            {
                OrderId = order.OrderId,
                CustomerId = order.CustomerId,
                Score = verdict.Score,
                Reasons = string.Join('\n', verdict.Reasons),
                AssessedAt = now,
            };
            db.Assessments.Add(assessment);
            await db.SaveChangesAsync(ct);
        }

        await context.Publish(new FraudAssessed
        {
            OrderId = assessment.OrderId,
            Score = assessment.Score,
            Reasons = assessment.Reasons.Length == 0 ? [] : assessment.Reasons.Split('\n'),
        });
    }
}

using System.Globalization;
using System.Threading.RateLimiting;
using GlobalCommerce.Api.Problems;
using Microsoft.AspNetCore.RateLimiting;

namespace GlobalCommerce.Api.Orders;

// Admission control for order submission, as an ASP.NET Core rate-limiting policy: at most MaxConcurrent submissions
// are handled at once, QueueLimit more wait their turn, and anything beyond is answered at once with 503 + Retry-After
// instead of piling up database connections and timing out later. A client's retry with the same Idempotency-Key is safe.
public sealed class OrderAdmission : IRateLimiterPolicy<string>, IDisposable
{
    public const string Section = "Commerce:Orders:Admission";
    public const string Policy = "order-admission";

    readonly ConcurrencyLimiter _limiter;
    readonly RateLimiter _gate;

    public OrderAdmission(OrderAdmissionOptions options)
    {
        Options = options;
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = Math.Max(options.MaxConcurrent, 1),
            QueueLimit = Math.Max(options.QueueLimit, 0),
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        _gate = new ProcessWideLimiter(_limiter);
    }

    public OrderAdmissionOptions Options { get; }

    // One partition: the limit is the process's capacity, not a per-client quota.
    public RateLimitPartition<string> GetPartition(HttpContext httpContext) => RateLimitPartition.Get(Policy, _ => _gate);

    public Func<OnRejectedContext, CancellationToken, ValueTask> OnRejected => async (context, _) =>
    {
        var http = context.HttpContext;
        http.Response.Headers.RetryAfter = ((int)Math.Ceiling(Options.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, type: ProblemTypes.Overloaded,
            title: "Too many orders at once",
            detail: "The platform is accepting as many orders as it can handle; retry after the Retry-After delay (with the same Idempotency-Key).")
            .ExecuteAsync(http);
    };

    public ValueTask<RateLimitLease> AcquireAsync(CancellationToken cancellationToken) => _limiter.AcquireAsync(1, cancellationToken);

    public void Dispose() => _limiter.Dispose();

    // The middleware disposes a partition's limiter once it has been idle a while; this one is shared with AcquireAsync
    // and lives as long as the process, so it never reports itself idle and its disposal is left to OrderAdmission.
    sealed class ProcessWideLimiter(RateLimiter inner) : RateLimiter
    {
        public override TimeSpan? IdleDuration => null;

        public override RateLimiterStatistics? GetStatistics() => inner.GetStatistics();

        protected override RateLimitLease AttemptAcquireCore(int permitCount) => inner.AttemptAcquire(permitCount);

        protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
            inner.AcquireAsync(permitCount, cancellationToken);
    }
}

public sealed class OrderAdmissionOptions
{
    // Submissions handled at once per API process; each holds a database connection for a few milliseconds.
    public int MaxConcurrent { get; set; } = 32;

    public int QueueLimit { get; set; } = 256;

    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);
}

using System.Threading.RateLimiting;
using GlobalCommerce.Api.Problems;

namespace GlobalCommerce.Api.Orders;

// Admission control for order submission: at most MaxConcurrent submissions are handled at once, QueueLimit more wait
// their turn, and anything beyond is answered at once with 503 + Retry-After instead of piling up database connections
// and timing out later. A client's retry with the same Idempotency-Key is safe.
public sealed class OrderAdmission : IDisposable
{
    public const string Section = "Commerce:Orders:Admission";

    readonly ConcurrencyLimiter _limiter;

    public OrderAdmission(OrderAdmissionOptions options)
    {
        Options = options;
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = Math.Max(options.MaxConcurrent, 1),
            QueueLimit = Math.Max(options.QueueLimit, 0),
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    public OrderAdmissionOptions Options { get; }

    public ValueTask<RateLimitLease> AcquireAsync(CancellationToken cancellationToken) => _limiter.AcquireAsync(1, cancellationToken);

    public void Dispose() => _limiter.Dispose();

    public static async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var admission = http.RequestServices.GetRequiredService<OrderAdmission>();
        using var lease = await admission.AcquireAsync(http.RequestAborted);
        if (!lease.IsAcquired)
        {
            var retryAfter = admission.Options.RetryAfter;
            http.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, type: ProblemTypes.Overloaded,
                title: "Too many orders at once",
                detail: "The platform is accepting as many orders as it can handle; retry after the Retry-After delay (with the same Idempotency-Key).");
        }

        return await next(context);
    }
}

public sealed class OrderAdmissionOptions
{
    // Submissions handled at once per API process; each holds a database connection for a few milliseconds.
    public int MaxConcurrent { get; set; } = 32;

    public int QueueLimit { get; set; } = 256;

    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);
}

using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using GlobalCommerce.Api.Problems;
using Microsoft.AspNetCore.RateLimiting;

namespace GlobalCommerce.Api.Orders;

// The door of order submission, as one ASP.NET Core rate-limiting policy (an endpoint takes one): first each customer's
// own token bucket, so one account cannot starve the others (429 + Retry-After, answered at once, never queued); then
// the platform's orders in flight: past MaxInFlight accepted orders not yet ended, a new one is refused at once (503 +
// Retry-After) rather than accepted into a backlog where it would wait longer than its client and its deadlines will;
// then the process's admission control: at most MaxConcurrent submissions are handled at once, QueueLimit more wait
// their turn for up to QueueTimeout, and anything beyond is answered with 503 + Retry-After instead of piling up
// database connections and timing out later. Nothing is stored for a refused submission: a retry with the same
// Idempotency-Key is safe.
public sealed class OrderAdmission : IRateLimiterPolicy<string>, IDisposable
{
    public const string Section = "Commerce:Orders:Admission";
    public const string CustomerSection = "Commerce:Orders:CustomerRateLimit";
    public const string Policy = "order-admission";

    readonly ConcurrencyLimiter _limiter;
    readonly CustomerRateLimitOptions _perCustomer;

    readonly OrdersInFlight _inFlight;

    public OrderAdmission(OrderAdmissionOptions options, CustomerRateLimitOptions perCustomer, OrdersInFlight inFlight)
    {
        Options = options;
        _perCustomer = perCustomer;
        _inFlight = inFlight;
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = Math.Max(options.MaxConcurrent, 1),
            QueueLimit = Math.Max(options.QueueLimit, 0),
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    public OrderAdmissionOptions Options { get; }

    // A partition per customer (the token's sub); every partition shares the one process-wide admission limiter.
    // Callers without a token are refused by authorization right after and take no slot.
    public RateLimitPartition<string> GetPartition(HttpContext httpContext) =>
        httpContext.User.FindFirstValue("sub") is { Length: > 0 } customer
            ? RateLimitPartition.Get(customer, _ => new CustomerThenAdmission(CustomerBucket(), _inFlight, _limiter, Options.QueueTimeout))
            : RateLimitPartition.GetNoLimiter(string.Empty);

    public Func<OnRejectedContext, CancellationToken, ValueTask> OnRejected => async (context, _) =>
    {
        var http = context.HttpContext;
        // Only the customer's bucket says when a permit comes back; the admission limiter's refusals carry no such date.
        if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait))
        {
            http.Response.Headers.RetryAfter = Seconds(wait);
            await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, type: ProblemTypes.TooManyRequests,
                title: "Too many orders from this account",
                detail: "This account has placed orders faster than the limit; retry after the Retry-After delay (with the same Idempotency-Key).")
                .ExecuteAsync(http);
            return;
        }

        http.Response.Headers.RetryAfter = Seconds(Options.RetryAfter);
        if (context.Lease is Refused { InFlightFull: true })
        {
            await Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, type: ProblemTypes.Overloaded,
                title: "Too many orders in progress",
                detail: "The platform is working on as many orders as it can finish in good time; retry after the Retry-After delay (with the same Idempotency-Key).")
                .ExecuteAsync(http);
            return;
        }

        await Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, type: ProblemTypes.Overloaded,
            title: "Too many orders at once",
            detail: "The platform is accepting as many orders as it can handle; retry after the Retry-After delay (with the same Idempotency-Key).")
            .ExecuteAsync(http);
    };

    public ValueTask<RateLimitLease> AcquireAsync(CancellationToken cancellationToken) => _limiter.AcquireAsync(1, cancellationToken);

    public void Dispose() => _limiter.Dispose();

    static string Seconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    // Replenished by the rate-limiting middleware's own timer (as RateLimitPartition.GetTokenBucketLimiter does), not a
    // timer per customer.
    TokenBucketRateLimiter CustomerBucket() => new(new TokenBucketRateLimiterOptions
    {
        TokenLimit = Math.Max(_perCustomer.TokenLimit, 1),
        TokensPerPeriod = Math.Max(_perCustomer.TokensPerPeriod, 1),
        ReplenishmentPeriod = _perCustomer.ReplenishmentPeriod > TimeSpan.Zero ? _perCustomer.ReplenishmentPeriod : TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = false,
    });

    // A customer's partition: their bucket, then the orders in flight, then the shared admission limiter. The middleware
    // disposes a partition once the bucket is full and idle; the admission limiter lives as long as the process and is
    // disposed by OrderAdmission.
    sealed class CustomerThenAdmission(TokenBucketRateLimiter customer, OrdersInFlight inFlight, ConcurrencyLimiter admission, TimeSpan queueTimeout)
        : ReplenishingRateLimiter
    {
        public override TimeSpan? IdleDuration => customer.IdleDuration;

        public override bool IsAutoReplenishing => customer.IsAutoReplenishing;

        public override TimeSpan ReplenishmentPeriod => customer.ReplenishmentPeriod;

        public override bool TryReplenish() => customer.TryReplenish();

        public override RateLimiterStatistics? GetStatistics() => customer.GetStatistics();

        // Never grants: the count of orders in flight may need a read, which only the asynchronous path can wait for. The
        // middleware then calls AcquireAsync, which takes the customer's token exactly once (taking it here as well would
        // charge a customer two tokens for every submission that has to queue).
        protected override RateLimitLease AttemptAcquireCore(int permitCount) => Refused.NotYet;

        protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
        {
            var token = customer.AttemptAcquire(permitCount);
            if (!token.IsAcquired)
                return token;
            // A token bucket's lease holds nothing to give back: the token is spent once taken.
            token.Dispose();
            if (!await inFlight.TryAdmitAsync(cancellationToken))
                return Refused.TooManyInFlight;

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (queueTimeout > TimeSpan.Zero)
                wait.CancelAfter(queueTimeout);
            try
            {
                return await admission.AcquireAsync(permitCount, wait.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return Refused.QueueTimedOut;
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                customer.Dispose();
            base.Dispose(disposing);
        }
    }

    // A refusal of our own: none carries a Retry-After of its own (OnRejected answers 503 with the configured one).
    sealed class Refused : RateLimitLease
    {
        public static readonly Refused NotYet = new();
        public static readonly Refused QueueTimedOut = new();
        public static readonly Refused TooManyInFlight = new() { InFlightFull = true };

        public bool InFlightFull { get; private init; }

        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}

public sealed class OrderAdmissionOptions
{
    // Accepted orders still being worked on (not yet terminal, and not held for a person's fraud review) past which a
    // submission is refused: the ceiling of the adaptive limit (InFlightLimit), or the limit itself with AdaptiveLimit
    // off. Fixed, size it as capacity × the time an order may acceptably take end to end (Little's law); 0 or less turns
    // admission on orders in flight off.
    public int MaxInFlight { get; set; } = 250;

    // Adapt the limit to what the platform finishes within TargetLatency (InFlightLimit), between MinInFlight and
    // MaxInFlight.
    public bool AdaptiveLimit { get; set; } = true;

    // The floor, and where the adaptive limit starts.
    public int MinInFlight { get; set; } = 32;

    // How long an admitted order may take end to end, queueing included, before the adaptive limit shrinks.
    public TimeSpan TargetLatency { get; set; } = TimeSpan.FromSeconds(1);

    // Submissions handled at once per API process; each holds a database connection for a few milliseconds.
    public int MaxConcurrent { get; set; } = 32;

    public int QueueLimit { get; set; } = 256;

    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    // A queued submission that has not been admitted by then is refused with 503: the client learns to retry instead of hanging.
    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

// Per customer: a burst of TokenLimit orders, then TokensPerPeriod more every ReplenishmentPeriod.
public sealed class CustomerRateLimitOptions
{
    public int TokenLimit { get; set; } = 10;

    public int TokensPerPeriod { get; set; } = 1;

    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);
}

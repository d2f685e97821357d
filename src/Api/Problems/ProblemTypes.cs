using GlobalCommerce.Api.Http;

namespace GlobalCommerce.Api.Problems;

// Stable problem "type" identifiers clients can switch on (RFC 7807 / 9457).
public static class ProblemTypes
{
    public const string ValidationFailed = "urn:globalcommerce:problem:validation-failed";
    public const string MalformedJson = "urn:globalcommerce:problem:malformed-json";
    public const string UnsupportedMediaType = "urn:globalcommerce:problem:unsupported-media-type";
    public const string NotFound = "urn:globalcommerce:problem:not-found";
    public const string IdempotencyKeyReused = "urn:globalcommerce:problem:idempotency-key-reused";
    public const string OrderAlreadyShipped = "urn:globalcommerce:problem:order-already-shipped";
    public const string OrderClosed = "urn:globalcommerce:problem:order-closed";
    public const string OrderNotStarted = "urn:globalcommerce:problem:order-not-started";
    public const string Unauthorized = "urn:globalcommerce:problem:unauthorized";
    public const string Forbidden = "urn:globalcommerce:problem:forbidden";
    public const string InvalidCredentials = "urn:globalcommerce:problem:invalid-credentials";
    public const string MfaRequired = "urn:globalcommerce:problem:mfa-required";
    public const string MfaAlreadyEnabled = "urn:globalcommerce:problem:mfa-already-enabled";
    public const string InvalidRefreshToken = "urn:globalcommerce:problem:invalid-refresh-token";
    public const string TooManyRequests = "urn:globalcommerce:problem:too-many-requests";
    public const string OrdersInFlight = "urn:globalcommerce:problem:orders-in-flight";
    public const string ErasureInProgress = "urn:globalcommerce:problem:erasure-in-progress";
    public const string Overloaded = "urn:globalcommerce:problem:overloaded";
    public const string PayloadTooLarge = "urn:globalcommerce:problem:payload-too-large";
    public const string InvalidImage = "urn:globalcommerce:problem:invalid-image";
    public const string ImageTooLarge = "urn:globalcommerce:problem:image-too-large";
    public const string TooManyImages = "urn:globalcommerce:problem:too-many-images";
    public const string InvalidSignedUrl = "urn:globalcommerce:problem:invalid-signed-url";
    public const string Unexpected = "urn:globalcommerce:problem:unexpected";
    public const string BadRequest = "urn:globalcommerce:problem:bad-request";
    public const string MethodNotAllowed = "urn:globalcommerce:problem:method-not-allowed";
    public const string RequestRejected = "urn:globalcommerce:problem:request-rejected";
    public const string SkuTaken = "urn:globalcommerce:problem:sku-taken";
    public const string PreconditionFailed = "urn:globalcommerce:problem:precondition-failed";
    public const string InvalidCursor = "urn:globalcommerce:problem:invalid-cursor";
    public const string SearchUnavailable = "urn:globalcommerce:problem:search-unavailable";
}

// The problem-details answers every endpoint gives, so that each kind carries its stable type.
public static class ProblemResults
{
    // Unhandled exceptions and bare status codes (404 for no route, 405, the framework's own 415) answer with problem
    // details too, typed by Customize below; so does a body over its endpoint's limit, refused before anyone reads it.
    public static WebApplication UseProblemResponses(this WebApplication app)
    {
        // A request the server itself finds malformed while the endpoint reads it (bad chunking, a body past the limit)
        // is the client's fault and keeps its 4xx; anything else is ours.
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = exception => exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        app.UseRequestBodyLimits();
        return app;
    }

    public static IResult NotFound(string what, Guid id) => Results.Problem(
        statusCode: StatusCodes.Status404NotFound, type: ProblemTypes.NotFound, title: $"{what} not found",
        detail: $"There is no {what.ToLowerInvariant()} with id {id}.");

    public static IResult Conflict(string type, string title, string detail) => Results.Problem(
        statusCode: StatusCodes.Status409Conflict, type: type, title: title, detail: detail);

    public static IResult Unauthorized(string type, string title, string detail) => Results.Problem(
        statusCode: StatusCodes.Status401Unauthorized, type: type, title: title, detail: detail);

    // Problem details written by the framework itself (401/403 challenges, 429, status code pages) get our types too.
    // Routing answers 415 itself, before any endpoint runs, for a body other than an endpoint's Accepts types: mapped
    // here, every endpoint's 415 carries the documented type.
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Type is { } type && type.StartsWith("urn:globalcommerce:", StringComparison.Ordinal))
            return;
        if (problem.Status >= StatusCodes.Status500InternalServerError)
        {
            // Whatever failed, the client learns only that it did and the trace id to quote; the exception, its message
            // and stack stay in the log.
            problem.Type = ProblemTypes.Unexpected;
            problem.Title = "An unexpected error occurred";
            problem.Detail = "The request could not be completed. Quote the traceId when reporting this.";
            foreach (var key in problem.Extensions.Keys.Where(key => key != "traceId").ToList())
                problem.Extensions.Remove(key);
            return;
        }

        problem.Type = problem.Status switch
        {
            StatusCodes.Status400BadRequest => ProblemTypes.BadRequest,
            StatusCodes.Status401Unauthorized => ProblemTypes.Unauthorized,
            StatusCodes.Status403Forbidden => ProblemTypes.Forbidden,
            StatusCodes.Status404NotFound => ProblemTypes.NotFound,
            StatusCodes.Status405MethodNotAllowed => ProblemTypes.MethodNotAllowed,
            StatusCodes.Status413PayloadTooLarge => ProblemTypes.PayloadTooLarge,
            StatusCodes.Status415UnsupportedMediaType => ProblemTypes.UnsupportedMediaType,
            StatusCodes.Status429TooManyRequests => ProblemTypes.TooManyRequests,
            _ => ProblemTypes.RequestRejected,
        };
    }

    public static IResult Validation(IDictionary<string, string[]> errors) => Results.ValidationProblem(
        errors, type: ProblemTypes.ValidationFailed, title: "The request has invalid fields",
        detail: "Every invalid field is listed under 'errors'.");
}

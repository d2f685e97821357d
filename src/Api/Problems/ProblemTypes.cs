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
    public const string Unexpected = "urn:globalcommerce:problem:unexpected";
}

public static class Problems
{
    public static IResult NotFound(string what, Guid id) => Results.Problem(
        statusCode: StatusCodes.Status404NotFound, type: ProblemTypes.NotFound, title: $"{what} not found",
        detail: $"There is no {what.ToLowerInvariant()} with id {id}.");

    public static IResult Conflict(string type, string title, string detail) => Results.Problem(
        statusCode: StatusCodes.Status409Conflict, type: type, title: title, detail: detail);

    public static IResult Validation(IDictionary<string, string[]> errors) => Results.ValidationProblem(
        errors, type: ProblemTypes.ValidationFailed, title: "The request has invalid fields",
        detail: "Every invalid field is listed under 'errors'.");
}

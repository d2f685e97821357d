namespace GlobalCommerce.Consumers.Catalog.Search;

// The search backend could not answer: unreachable, timed out, failing (5xx), or it refused what was sent (a 4xx, or a
// document it would not index), with the backend's reason. The message never carries a credential, so it can be logged
// and shown to support staff as it is. StatusCode is the HTTP status the backend answered with, when it answered at all.
public sealed class SearchUnavailableException(string message, int? statusCode = null, Exception? innerException = null)
    : Exception(message, innerException)
{
    public int? StatusCode { get; } = statusCode;
}

using System.Text.Json;
using GlobalCommerce.Api.Problems;

namespace GlobalCommerce.Api.Http;

// Reads a request's JSON body for every domain's endpoints, answering a wrong media type or unreadable JSON with the
// project's problem types instead of the framework's binder exceptions, and stopping at the endpoint's body limit.
public static class JsonBody
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<(T? Body, IResult? Problem)> ReadAsync<T>(HttpRequest http, bool required, CancellationToken cancellationToken)
        where T : class
    {
        if (!required && (http.ContentLength is 0 || (http.ContentLength is null && !http.HasJsonContentType())))
            return (null, null);
        if (!http.HasJsonContentType())
        {
            return (null, Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, type: ProblemTypes.UnsupportedMediaType,
                title: "Send JSON", detail: "The body must be application/json."));
        }

        var limit = RequestBodyLimits.For(http.HttpContext.GetEndpoint()) ?? RequestBodyLimits.DefaultJsonBytes;
        if (http.ContentLength > limit)
            return (null, RequestBodyLimits.TooLarge(limit));
        var original = http.Body;
        http.Body = new LimitedStream(original, limit);
        try
        {
            var body = await http.ReadFromJsonAsync<T>(Json, cancellationToken);
            if (body is null && required)
                return (null, MalformedJson("The body must be a JSON object, not null."));
            return (body, null);
        }
        catch (BodyTooLargeException)
        {
            return (null, RequestBodyLimits.TooLarge(limit));
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, RequestBodyLimits.TooLarge(limit));
        }
        catch (JsonException exception)
        {
            return (null, MalformedJson(exception.Path is { Length: > 0 }
                ? $"Could not read the JSON body at {exception.Path} (line {exception.LineNumber + 1}): the value is missing or of the wrong type."
                : "Could not read the JSON body."));
        }
        finally
        {
            http.Body = original;
        }
    }

    static IResult MalformedJson(string detail) => Results.Problem(statusCode: StatusCodes.Status400BadRequest,
        type: ProblemTypes.MalformedJson, title: "Malformed JSON", detail: detail);
}

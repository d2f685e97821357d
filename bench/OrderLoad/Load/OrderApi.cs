using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace GlobalCommerce.Bench.OrderLoad.Load;

// The platform's public HTTP API, as a customer's client uses it (README: POST /api/orders, GET /api/orders/{id}).
public sealed class OrderApi : IDisposable
{
    readonly HttpClient _http;

    public OrderApi(Uri address)
    {
        _http = new HttpClient(new SocketsHttpHandler
        {
            // Open loop may have hundreds of requests outstanding; each needs its own HTTP/1.1 connection.
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        })
        {
            BaseAddress = address,
            Timeout = TimeSpan.FromSeconds(30),
        };
        // As the TLS-terminating proxy in front of a real-mode API tells it (the API believes this from loopback only):
        // the distributed mode otherwise redirects plain HTTP to HTTPS (Commerce:Http:RequireHttps).
        _http.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
    }

    // A new shopper, as a customer's client creates one: register, then log in for an access token. The benchmark does
    // this before the phases that are measured (CustomerPool), never inside them.
    public async Task<Customer> SignUpAsync(CancellationToken cancellationToken)
    {
        var email = $"bench-{Guid.NewGuid():N}@example.test";
        var credentials = string.Create(CultureInfo.InvariantCulture, $$"""{"email":"{{email}}","password":"Bench-Lantern-42"}""");
        using var registered = await _http.PostAsync(new Uri("/api/auth/register", UriKind.Relative),
            new StringContent(credentials, Encoding.UTF8, "application/json"), cancellationToken);
        if (registered.StatusCode != HttpStatusCode.Created)
            throw new OrderApiException($"register answered {(int)registered.StatusCode}");
        using var login = await _http.PostAsync(new Uri("/api/auth/login", UriKind.Relative),
            new StringContent(credentials, Encoding.UTF8, "application/json"), cancellationToken);
        if (login.StatusCode != HttpStatusCode.OK)
            throw new OrderApiException($"login answered {(int)login.StatusCode}");
        using var json = await JsonDocument.ParseAsync(await login.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        return new Customer(email, new AuthenticationHeaderValue("Bearer", json.RootElement.GetProperty("accessToken").GetString()));
    }

    public async Task<IReadOnlyList<Product>> ProductsAsync(CancellationToken cancellationToken)
    {
        await using var stream = await _http.GetStreamAsync(new Uri("/api/products", UriKind.Relative), cancellationToken);
        using var json = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
        return [.. json.RootElement.EnumerateArray().Select(product => new Product(
            product.GetProperty("id").GetGuid(), product.GetProperty("sku").GetString()!, product.GetProperty("available").GetInt32()))];
    }

    // One line of quantity 1 from the given customer (one order per customer: the fraud rule's velocity count stays at
    // one, as it would for real shoppers), and a card that always succeeds: every order should end Completed.
    // 503 (admission control) and 429 (rate limit) are refusals at the door: OrderRefusedException, not a failure.
    public async Task<Guid> SubmitAsync(Customer customer, Guid productId, CancellationToken cancellationToken)
    {
        var body = string.Create(CultureInfo.InvariantCulture, $$"""
            {"items":[{"productId":"{{productId}}","quantity":1}],"shippingAddress":{"name":"Bench Customer","line1":"1 Load Street","city":"Berlin","postalCode":"10115","country":"DE"},"paymentToken":"tok_visa"}
            """);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/orders", UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        // As a careful client would: a retry of this request could never create a second order.
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        request.Headers.Authorization = customer.Authorization;
        using var response = await _http.SendAsync(request, cancellationToken);
        if (response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests)
            throw new OrderRefusedException((int)response.StatusCode);
        if (response.StatusCode != HttpStatusCode.Accepted)
            throw new OrderApiException($"POST answered {(int)response.StatusCode}");
        var location = response.Headers.Location?.OriginalString
            ?? throw new OrderApiException("POST answered 202 without a Location");
        return Guid.Parse(location.AsSpan(location.LastIndexOf('/') + 1));
    }

    // Null when the answer is not 200 (404: the platform does not know the order).
    public async Task<OrderStatus?> GetAsync(Customer customer, Guid orderId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/api/orders/{orderId}", UriKind.Relative));
        request.Headers.Authorization = customer.Authorization;
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
            return null;
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var json = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
        var root = json.RootElement;
        var state = root.GetProperty("state").GetString()!;
        if (!OrderStatus.IsTerminal(state))
            return new OrderStatus(state, default, []);
        return new OrderStatus(state, root.GetProperty("submittedAt").GetDateTimeOffset(),
            [.. root.GetProperty("history").EnumerateArray().Select(transition => new Transition(
                transition.GetProperty("to").GetString()!, transition.GetProperty("at").GetDateTimeOffset()))]);
    }

    public void Dispose() => _http.Dispose();
}

public sealed record Product(Guid Id, string Sku, int Available);

// A signed-up shopper and its access token.
public sealed record Customer(string Email, AuthenticationHeaderValue Authorization);

public sealed record Transition(string To, DateTimeOffset At);

// History and submission time are read only once the order has ended; until then only the state matters.
public sealed record OrderStatus(string State, DateTimeOffset SubmittedAt, IReadOnlyList<Transition> History)
{
    public static bool IsTerminal(string state) => state is "Completed" or "Failed" or "Cancelled";
}

public sealed class OrderApiException(string message) : Exception(message);

// The door refused the order (503 admission control, 429 rate limit): shed load, nothing was stored.
public sealed class OrderRefusedException(int status) : Exception($"POST answered {status}")
{
    public int Status { get; } = status;
}

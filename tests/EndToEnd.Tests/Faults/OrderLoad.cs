using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace GlobalCommerce.EndToEnd.Tests.Faults;

// What share of the orders does what. Declined and timing-out cards and sold-out products make orders fail on
// purpose, cancellations race the saga: all must end with the books balanced, not only the happy path.
public sealed record OrderMix(double Declined = 0.10, double GatewayTimeout = 0, double Cancelled = 0.05, double ScarceLine = 0.10)
{
    public static readonly OrderMix Default = new();
}

public sealed record OrderedItem(Guid ProductId, int Quantity);

public sealed record PlacedOrder(Guid OrderId, string PaymentToken, bool CancelRequested);

// An order as GET /api/orders/{id} last showed it.
public sealed record OrderOutcome(Guid OrderId, string State, string? PaymentReference, string? TrackingNumber, string? FailureReason,
    IReadOnlyList<OrderedItem> Lines, JsonElement Body)
{
    public static readonly IReadOnlySet<string> TerminalStates = new HashSet<string>(StringComparer.Ordinal) { "Completed", "Failed", "Cancelled" };

    public bool IsTerminal => TerminalStates.Contains(State);

    public static OrderOutcome From(JsonElement order) => new(
        order.GetProperty("orderId").GetGuid(),
        order.GetProperty("state").GetString()!,
        order.GetProperty("paymentReference").GetString(),
        order.GetProperty("trackingNumber").GetString(),
        order.GetProperty("failureReason").GetString(),
        [.. order.GetProperty("lines").EnumerateArray().Select(l => new OrderedItem(l.GetProperty("productId").GetGuid(), l.GetProperty("quantity").GetInt32()))],
        order);
}

// Places orders through the API like a client that retries: each order has its own Idempotency-Key and is re-posted
// after a network error or a 5xx until accepted, so a fault may delay an order but never makes the test lose track of it.
// customers: one client per logged-in shopper, placing the orders in turn; `client` then only reads the catalog, polls
// and cancels, so it must be allowed to read every order (support). Without them, `client` places every order.
public sealed class OrderLoad(HttpClient client, int seed, IReadOnlyList<HttpClient>? customers = null)
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    readonly Random _random = new(seed);
    readonly List<Task> _cancellations = [];
    readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, Submission> _submissions = new();
    int _accepted;

    public int Seed => seed;

    // Orders answered 202 so far.
    public int Accepted => Volatile.Read(ref _accepted);

    // stop: no new order is started once it is cancelled (those already sent are still retried until answered), and
    // only the orders answered 202 are returned.
    public async Task<IReadOnlyList<PlacedOrder>> SubmitAsync(int count, OrderMix mix, int parallelism = 6, CancellationToken stop = default)
    {
        var products = (await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, "/api/products")))
            .Deserialize<JsonElement[]>()!
            .Select(p => (Id: p.GetProperty("id").GetGuid(), Available: p.GetProperty("available").GetInt32()))
            .ToList();
        // Plentiful products cannot sell out in a test; the scarce ones (a dozen units or fewer) must.
        var plentiful = products.Where(p => p.Available >= 100).Select(p => p.Id).ToArray();
        var scarce = products.Where(p => p.Available is > 0 and <= 12).Select(p => p.Id).ToArray();
        Assert.NotEmpty(plentiful);
        Assert.NotEmpty(scarce);

        // Drawn up front from one seeded Random, so a failing run can be replayed with the same orders.
        var orders = Enumerable.Range(0, count)
            .Select(_ => (Token: Token(mix), Cancel: _random.NextDouble() < mix.Cancelled))
            .Select(o => (o.Token, o.Cancel, Body: Body(o.Token, mix, plentiful, scarce)))
            .ToList();
        var placed = new PlacedOrder?[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (i, _) =>
        {
            if (stop.IsCancellationRequested)
                return;
            var key = $"fault-{seed}-{i}-{Guid.NewGuid():N}";
            var customer = customers is { Count: > 0 } ? customers[i % customers.Count] : client;
            var accepted = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, "/api/orders")
            {
                Headers = { { "Idempotency-Key", key } },
                Content = JsonContent.Create(orders[i].Body),
            }, customer);
            var orderId = accepted.GetProperty("orderId").GetGuid();
            _submissions[orderId] = new Submission(customer, key, orders[i].Body);
            Interlocked.Increment(ref _accepted);
            placed[i] = new PlacedOrder(orderId, orders[i].Token, orders[i].Cancel);
            if (orders[i].Cancel)
            {
                lock (_cancellations)
                    _cancellations.Add(CancelSoonAsync(orderId, TimeSpan.FromMilliseconds(Random.Shared.Next(0, 1500))));
            }
        });
        return [.. placed.OfType<PlacedOrder>()];
    }

    // What a client does when it never saw the answer to an accepted order: post it again, from the same customer with
    // the same Idempotency-Key and body. Returns the status and the order the API answered with (null unless 2xx).
    public async Task<(HttpStatusCode Status, Guid? OrderId)> ResubmitAsync(PlacedOrder order)
    {
        var submission = _submissions[order.OrderId];
        using var response = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Post, "/api/orders")
        {
            Headers = { { "Idempotency-Key", submission.Key } },
            Content = JsonContent.Create(submission.Body),
        }, submission.Customer);
        if (!response.IsSuccessStatusCode)
            return (response.StatusCode, null);
        return (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid());
    }

    // Polls until every order is Completed, Failed or Cancelled, or the timeout passes; returns what it last saw.
    public async Task<IReadOnlyList<OrderOutcome>> WaitForTerminalAsync(IEnumerable<PlacedOrder> placed, TimeSpan timeout)
    {
        var orderIds = placed.Select(o => o.OrderId).ToList();
        await Task.WhenAll(_cancellations);
        var latest = new Dictionary<Guid, OrderOutcome>();
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var pending = orderIds.Where(id => !latest.TryGetValue(id, out var outcome) || !outcome.IsTerminal).ToList();
            if (pending.Count == 0 || DateTime.UtcNow > until)
                break;
            var polled = new System.Collections.Concurrent.ConcurrentBag<OrderOutcome>();
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = 6 }, async (id, _) =>
                polled.Add(OrderOutcome.From(await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"/api/orders/{id}")))));
            foreach (var outcome in polled)
                latest[outcome.OrderId] = outcome;
            await Task.Delay(500);
        }

        return [.. orderIds.Select(id => latest.TryGetValue(id, out var outcome)
            ? outcome
            : new OrderOutcome(id, "Unknown", null, null, null, [], default))];
    }

    async Task CancelSoonAsync(Guid orderId, TimeSpan delay)
    {
        await Task.Delay(delay);
        // 409 "not started" means the saga has not picked the order up yet: ask again. Any other 409 (shipped, ended)
        // means the cancellation lost the race, which is a legitimate outcome.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var response = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Post, $"/api/orders/{orderId}/cancel")
            {
                Content = JsonContent.Create(new { reason = "fault test" }),
            });
            if (response.StatusCode != HttpStatusCode.Conflict
                || !(await response.Content.ReadAsStringAsync()).Contains("order-not-started", StringComparison.Ordinal))
                return;
            await Task.Delay(200);
        }
    }

    string Token(OrderMix mix)
    {
        var roll = _random.NextDouble();
        return roll < mix.GatewayTimeout ? "tok_timeout" : roll < mix.GatewayTimeout + mix.Declined ? "tok_chargeDeclined" : "tok_visa";
    }

    object Body(string token, OrderMix mix, Guid[] plentiful, Guid[] scarce)
    {
        var lines = new Dictionary<Guid, int>();
        var count = _random.Next(1, 4);
        while (lines.Count < count)
        {
            var pool = _random.NextDouble() < mix.ScarceLine ? scarce : plentiful;
            lines.TryAdd(pool[_random.Next(pool.Length)], _random.Next(1, 4));
        }

        return new
        {
            items = lines.Select(l => new { productId = l.Key, quantity = l.Value }).ToArray(),
            shippingAddress = new { name = "Margaret Hamilton", line1 = "1 Apollo Way", city = "Berlin", postalCode = "10115", country = "DE" },
            paymentToken = token,
        };
    }

    async Task<JsonElement> SendAsync(Func<HttpRequestMessage> request, HttpClient? via = null)
    {
        var response = await SendRawAsync(request, via);
        Assert.True(response.IsSuccessStatusCode, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    // Network errors, timeouts and 5xx are what a fault looks like from outside: retry them, answer anything else.
    async Task<HttpResponseMessage> SendRawAsync(Func<HttpRequestMessage> request, HttpClient? via = null)
    {
        var until = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                var response = await (via ?? client).SendAsync(request());
                if ((int)response.StatusCode < 500 || DateTime.UtcNow > until)
                    return response;
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && DateTime.UtcNow < until)
            {
            }

            await Task.Delay(250);
        }
    }

    sealed record Submission(HttpClient Customer, string Key, object Body);
}

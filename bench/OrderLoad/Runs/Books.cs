using System.Data.Common;
using GlobalCommerce.Bench.OrderLoad.Hosting;
using GlobalCommerce.Bench.OrderLoad.Load;
using GlobalCommerce.Bench.OrderLoad.Measurement;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace GlobalCommerce.Bench.OrderLoad.Runs;

// "Nothing lost, nothing doubled, nothing stuck" over every order of the run (warm-up included), judged as the fault
// suite judges it (tests/EndToEnd.Tests/Faults/PlatformInvariants.cs), from the domain databases rather than the hosts:
//   lost    = accepted (202) but unknown to the platform or never taken up by the saga (still "Submitted"), or
//             Completed without its payment or its shipment;
//   doubled = more than one payment or shipment row for an order, or money kept / a parcel sent for one that did not complete;
//   stuck   = known to the saga but not in a terminal state at the end;
//   stock   = on hand at the start, less the units completed orders took, is on hand at the end, and nothing stays reserved.
public sealed class Books
{
    readonly PlatformHosts _hosts;
    readonly PostgresServer? _postgres;
    readonly IReadOnlyDictionary<string, (int OnHand, int Reserved)> _before;

    Books(PlatformHosts hosts, PostgresServer? postgres, IReadOnlyDictionary<string, (int OnHand, int Reserved)> before)
    {
        _hosts = hosts;
        _postgres = postgres;
        _before = before;
    }

    public static async Task<Books> CaptureAsync(PlatformHosts hosts, PostgresServer? postgres, CancellationToken cancellationToken)
    {
        var books = new Books(hosts, postgres, new Dictionary<string, (int, int)>());
        return new Books(hosts, postgres, await books.ReadStockAsync(cancellationToken));
    }

    // wait: how long orders a drain gave up on may still take to end (a slow platform is not a stuck one); settle: how
    // long the books may trail the order states (compensations travel after the terminal transition).
    public async Task<BooksReport> CheckAsync(IReadOnlyList<OrderOutcome> orders, OrderApi api, OrderTracker tracker, TimeSpan wait, TimeSpan settle,
        Action<string> progress, CancellationToken cancellationToken)
    {
        // Orders a drain gave up on: ask the platform what became of them until they have all ended or `wait` is over.
        var states = orders.ToDictionary(order => order.OrderId, order => order.State);
        var pending = tracker.Abandoned.ToDictionary(entry => entry.Key, entry => entry.Value);
        var waitUntil = DateTime.UtcNow + wait;
        var lastReport = DateTime.UtcNow;
        while (pending.Count > 0)
        {
            foreach (var (orderId, customer) in pending.ToList())
            {
                var status = await api.GetAsync(customer, orderId, cancellationToken);
                states[orderId] = status?.State ?? "unknown to the platform";
                if (status is not null && OrderStatus.IsTerminal(status.State))
                    pending.Remove(orderId);
            }

            if (pending.Count == 0 || DateTime.UtcNow > waitUntil)
                break;
            if (DateTime.UtcNow - lastReport > TimeSpan.FromSeconds(5))
            {
                lastReport = DateTime.UtcNow;
                progress($"books: waiting for {pending.Count} orders the drain gave up on to end");
            }

            await Task.Delay(1000, cancellationToken);
        }

        var until = DateTime.UtcNow + settle;
        while (true)
        {
            var report = await CheckOnceAsync(orders, states, cancellationToken);
            if (report.Holds || DateTime.UtcNow > until)
                return report;
            await Task.Delay(500, cancellationToken);
        }
    }

    async Task<BooksReport> CheckOnceAsync(IReadOnlyList<OrderOutcome> orders, IReadOnlyDictionary<Guid, string> states, CancellationToken cancellationToken)
    {
        var violations = new List<string>();
        var lost = new HashSet<Guid>();
        var doubled = new HashSet<Guid>();
        var stuck = new HashSet<Guid>();
        var payments = (await ReadRowsAsync("payments", "SELECT \"OrderId\", \"Status\" FROM payments", cancellationToken)).ToLookup(row => row.OrderId);
        var shipments = (await ReadRowsAsync("shipping", "SELECT \"OrderId\", \"Status\" FROM shipments", cancellationToken)).ToLookup(row => row.OrderId);
        var stock = await ReadStockAsync(cancellationToken);

        foreach (var order in orders)
        {
            var state = states[order.OrderId];
            if (state is "unknown to the platform" or "Submitted")
            {
                Violation(lost, order.OrderId, $"accepted, but {(state == "Submitted" ? "never taken up by the saga" : state)}");
                continue;
            }

            if (!OrderStatus.IsTerminal(state))
            {
                Violation(stuck, order.OrderId, $"still {state} at the end");
                continue;
            }

            var charges = payments[order.OrderId].ToList();
            var parcels = shipments[order.OrderId].ToList();
            if (charges.Count > 1)
                Violation(doubled, order.OrderId, $"{charges.Count} payment rows");
            if (parcels.Count > 1)
                Violation(doubled, order.OrderId, $"{parcels.Count} shipment rows");
            if (state == "Completed")
            {
                if (!charges.Any(charge => charge.Status == "Succeeded"))
                    Violation(lost, order.OrderId, $"Completed with payment {string.Join("/", charges.Select(c => c.Status).DefaultIfEmpty("missing"))}");
                if (!parcels.Any(parcel => parcel.Status == "Created"))
                    Violation(lost, order.OrderId, $"Completed with shipment {string.Join("/", parcels.Select(p => p.Status).DefaultIfEmpty("missing"))}");
            }
            else
            {
                if (charges.Any(charge => charge.Status is not ("Declined" or "Voided" or "Refunded")))
                    Violation(doubled, order.OrderId, $"{state} with payment {string.Join("/", charges.Select(c => c.Status))}");
                if (parcels.Any(parcel => parcel.Status != "Cancelled"))
                    Violation(doubled, order.OrderId, $"{state} with shipment {string.Join("/", parcels.Select(p => p.Status))}");
            }
        }

        var sold = orders.Where(order => states[order.OrderId] == "Completed")
            .GroupBy(order => order.ProductId.ToString("D").ToUpperInvariant()).ToDictionary(group => group.Key, group => group.Count(), StringComparer.Ordinal);
        var mismatches = 0;
        foreach (var (product, before) in _before)
        {
            var expected = before.OnHand - sold.GetValueOrDefault(product);
            var now = stock.GetValueOrDefault(product);
            if (now.OnHand == expected && now.Reserved == 0)
                continue;
            mismatches++;
            violations.Add($"product {product}: on hand {now.OnHand}, expected {before.OnHand} - {sold.GetValueOrDefault(product)} sold = {expected}; reserved {now.Reserved}");
        }

        return new BooksReport(orders.Count, orders.Count(order => states[order.OrderId] == "Completed"),
            orders.Count(order => states[order.OrderId] is "Failed" or "Cancelled"), lost.Count, doubled.Count, stuck.Count, mismatches, violations);

        void Violation(HashSet<Guid> kind, Guid orderId, string what)
        {
            kind.Add(orderId);
            violations.Add($"order {orderId}: {what}");
        }
    }

    async Task<Dictionary<string, (int OnHand, int Reserved)>> ReadStockAsync(CancellationToken cancellationToken)
    {
        var stock = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        await using var connection = await OpenAsync("inventory", cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"ProductId\", \"OnHand\", \"Reserved\" FROM stock_items";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            stock[Id(reader.GetValue(0))] = (Convert.ToInt32(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture),
                Convert.ToInt32(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture));
        return stock;
    }

    async Task<List<(Guid OrderId, string Status)>> ReadRowsAsync(string domain, string sql, CancellationToken cancellationToken)
    {
        var rows = new List<(Guid, string)>();
        await using var connection = await OpenAsync(domain, cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            rows.Add((Guid.Parse(Id(reader.GetValue(0))), Convert.ToString(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture)!));
        return rows;
    }

    static string Id(object value) => (value is Guid guid ? guid.ToString("D") : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!).ToUpperInvariant();

    async Task<DbConnection> OpenAsync(string domain, CancellationToken cancellationToken)
    {
        if (_postgres is not null)
            return await _postgres.OpenAsync(cancellationToken, _hosts.DatabasePrefix + domain);
        var connection = new SqliteConnection($"Data Source={Path.Combine(_hosts.DataDirectory!, domain + ".db")};Mode=ReadOnly;Pooling=False;Default Timeout=30");
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}

public sealed record BooksReport(int Orders, int Completed, int FailedOrCancelled, int Lost, int Doubled, int Stuck, int StockMismatches,
    IReadOnlyList<string> Violations)
{
    public bool Holds => Violations.Count == 0;

    public string Summary => $"{Orders} orders ({Completed} completed, {FailedOrCancelled} failed or cancelled): {Lost} lost, {Doubled} doubled, "
        + $"{Stuck} stuck, {StockMismatches} stock mismatches";
}

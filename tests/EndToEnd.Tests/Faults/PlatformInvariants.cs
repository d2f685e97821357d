using System.Data.Common;

namespace GlobalCommerce.EndToEnd.Tests.Faults;

// "Nothing lost, nothing doubled", judged from the domain databases rather than from the hosts (the sandbox gateway's
// ledger lives in the worker's memory and dies with it). Capture before the load, check once every order has ended.
// The same queries run on real mode's PostgreSQL and on the embedded default's SQLite files (openDatabase: a domain's
// database by its name, e.g. "inventory").
public sealed class PlatformInvariants
{
    readonly Func<string, Task<DbConnection>> _openDatabase;
    readonly IReadOnlyDictionary<Guid, int> _onHandBefore;

    PlatformInvariants(Func<string, Task<DbConnection>> openDatabase, IReadOnlyDictionary<Guid, int> onHandBefore)
    {
        _openDatabase = openDatabase;
        _onHandBefore = onHandBefore;
    }

    public static Task<PlatformInvariants> CaptureAsync(FaultPlatform platform) =>
        CaptureAsync(async domain => await platform.OpenDatabaseAsync(domain));

    public static async Task<PlatformInvariants> CaptureAsync(Func<string, Task<DbConnection>> openDatabase)
    {
        var stock = await ReadStockAsync(openDatabase);
        Assert.NotEmpty(stock);
        Assert.All(stock.Values, s => Assert.Equal(0, s.Reserved));
        return new PlatformInvariants(openDatabase, stock.ToDictionary(s => s.Key, s => s.Value.OnHand));
    }

    // The compensations that end an order (release, refund, cancel shipment) are sent in the same step that makes it
    // Failed or Cancelled, and CommitInventory travels next to CreateShipment: the books may trail the order states by a
    // few messages. So the check is repeated until it passes or `settle` runs out, and the last verdict is returned.
    public async Task<InvariantReport> CheckAsync(IReadOnlyList<OrderOutcome> orders, TimeSpan settle)
    {
        var until = DateTime.UtcNow + settle;
        while (true)
        {
            var report = await CheckOnceAsync(orders);
            if (report.Holds || DateTime.UtcNow > until)
                return report;
            await Task.Delay(500);
        }
    }

    async Task<InvariantReport> CheckOnceAsync(IReadOnlyList<OrderOutcome> orders)
    {
        var violations = new List<string>();
        var lost = new HashSet<Guid>();
        var duplicated = new HashSet<Guid>();
        var byId = orders.ToDictionary(o => o.OrderId);

        var payments = await ReadRowsAsync("payments", "SELECT \"OrderId\", \"Status\", \"GatewayReference\" FROM payments");
        var shipments = await ReadRowsAsync("shipping", "SELECT \"OrderId\", \"Status\", \"TrackingNumber\" FROM shipments");
        var allocations = await ReadRowsAsync("inventory", "SELECT \"OrderId\", \"Status\", NULL FROM allocations");
        var stock = await ReadStockAsync(_openDatabase);

        foreach (var order in orders.Where(o => !o.IsTerminal))
        {
            lost.Add(order.OrderId);
            violations.Add($"order {order.OrderId} never ended: {order.State}");
        }

        foreach (var order in orders.Where(o => o.IsTerminal))
        {
            var charges = payments[order.OrderId];
            var parcels = shipments[order.OrderId];
            var allocation = allocations[order.OrderId].SingleOrDefault();
            if (charges.Count() > 1)
                Violation(duplicated, order, $"{charges.Count()} payment rows");
            if (parcels.Count() > 1)
                Violation(duplicated, order, $"{parcels.Count()} shipment rows");
            var charge = charges.FirstOrDefault();
            var parcel = parcels.FirstOrDefault();

            if (order.State == "Completed")
            {
                if (charge is not { Status: "Succeeded" })
                    Violation(charge is { Status: "Refunded" or "Voided" } ? duplicated : lost, order, $"completed with payment {charge?.Status ?? "missing"}");
                else if (charge.Reference != order.PaymentReference)
                    Violation(duplicated, order, $"charged as {charge.Reference} but the order holds {order.PaymentReference}");
                if (parcel is not { Status: "Created" })
                    Violation(lost, order, $"completed with shipment {parcel?.Status ?? "missing"}");
                else if (parcel.Reference != order.TrackingNumber)
                    Violation(duplicated, order, $"shipped as {parcel.Reference} but the order tracks {order.TrackingNumber}");
                if (allocation?.Status != "Committed")
                    violations.Add($"order {order.OrderId} ({order.State}): completed with allocation {allocation?.Status ?? "missing"}");
            }
            else
            {
                // Money kept or a parcel sent for an order that did not complete is the "doubled" side of the books.
                if (charge is { Status: not ("Declined" or "Voided" or "Refunded") })
                    Violation(duplicated, order, $"ended with payment {charge.Status}");
                if (parcel is { Status: not "Cancelled" })
                    Violation(duplicated, order, $"ended with shipment {parcel.Status}");
                if (allocation is { Status: "Reserved" or "Committed" })
                    violations.Add($"order {order.OrderId} ({order.State}): ended with allocation {allocation.Status}");
            }
        }

        foreach (var stray in payments.Select(g => g.Key).Concat(shipments.Select(g => g.Key)).Where(id => !byId.ContainsKey(id)).Distinct())
            violations.Add($"payment or shipment for {stray}, which is none of the test's orders");

        // Stock adds up: what was on hand, less what completed orders took, is on hand now; nothing stays reserved.
        var sold = orders.Where(o => o.State == "Completed").SelectMany(o => o.Lines)
            .GroupBy(l => l.ProductId).ToDictionary(g => g.Key, g => g.Sum(l => l.Quantity));
        var stockMismatches = 0;
        foreach (var (productId, before) in _onHandBefore)
        {
            var expected = before - sold.GetValueOrDefault(productId);
            var now = stock.GetValueOrDefault(productId);
            if (now.OnHand == expected && now.Reserved == 0)
                continue;
            stockMismatches++;
            violations.Add($"product {productId}: on hand {now.OnHand}, expected {before} - {sold.GetValueOrDefault(productId)} sold = {expected}; reserved {now.Reserved}");
        }

        return new InvariantReport(orders.Count, orders.Count(o => o.State == "Completed"), orders.Count(o => o.State == "Failed"),
            orders.Count(o => o.State == "Cancelled"), lost.Count, duplicated.Count, stockMismatches, violations);

        void Violation(HashSet<Guid> kind, OrderOutcome order, string what)
        {
            kind.Add(order.OrderId);
            violations.Add($"order {order.OrderId} ({order.State}): {what}");
        }
    }

    async Task<ILookup<Guid, Row>> ReadRowsAsync(string domain, string sql)
    {
        await using var connection = await _openDatabase(domain);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Row>();
        while (await reader.ReadAsync())
            rows.Add(new Row(reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        return rows.ToLookup(r => r.OrderId);
    }

    static async Task<Dictionary<Guid, (int OnHand, int Reserved)>> ReadStockAsync(Func<string, Task<DbConnection>> openDatabase)
    {
        await using var connection = await openDatabase("inventory");
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"ProductId\", \"OnHand\", \"Reserved\" FROM stock_items";
        await using var reader = await command.ExecuteReaderAsync();
        var stock = new Dictionary<Guid, (int, int)>();
        while (await reader.ReadAsync())
            stock[reader.GetGuid(0)] = (reader.GetInt32(1), reader.GetInt32(2));
        return stock;
    }

    sealed record Row(Guid OrderId, string Status, string? Reference);
}

public sealed record InvariantReport(int Orders, int Completed, int Failed, int Cancelled, int Lost, int Duplicated, int StockMismatches,
    IReadOnlyList<string> Violations)
{
    public bool Holds => Violations.Count == 0;

    public override string ToString() =>
        $"{Orders} orders ({Completed} completed, {Failed} failed, {Cancelled} cancelled): {Lost} lost, {Duplicated} duplicated, " +
        $"{StockMismatches} stock mismatches" + (Holds ? "" : "\n" + string.Join("\n", Violations.Take(50)));

    // A row of README.md's "Fault survival" table.
    public string TableRow(string scenario, string faults) =>
        $"| {scenario} | {faults} | {Orders} ({Completed} completed, {Failed} failed, {Cancelled} cancelled) | {Lost} | {Duplicated} | {StockMismatches} |";
}

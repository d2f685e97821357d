using System.Data.Common;
using System.Text;

namespace GlobalCommerce.EndToEnd.Tests.Faults;

// "Nothing lost, nothing counted twice" for the lifecycle facts on the streams, judged after every order has ended:
//   - every stream outbox is empty (each fact a transaction committed was handed to its stream);
//   - for each (stream, type), the analytics group counted exactly the distinct facts the stream log holds: copies a
//     relay produced again after a crash (same EventId) count once, and a batch read again after a crash adds nothing;
//   - the log holds exactly the facts the domain databases committed them with: one order fact per saga transition,
//     one payment fact per money movement the payment rows record, one reservation fact per allocation line;
//   - the order funnel adds up to the order facts.
public static class FactInvariants
{
    // The facts each domain database says were committed, by (stream, type).
    static readonly (string Stream, string Type, string Domain, string Sql)[] Committed =
    [
        ("order-events", "OrderCreated", "orders", Transitions("\"From\" = 'Initial' AND \"To\" = 'Pending'")),
        ("order-events", "OrderConfirmed", "orders", Transitions("\"To\" = 'Confirmed' AND \"From\" <> \"To\"")),
        ("order-events", "OrderCompleted", "orders", Transitions("\"To\" = 'Completed' AND \"From\" <> \"To\"")),
        ("order-events", "OrderFailed", "orders", Transitions("\"To\" = 'Failed' AND \"From\" <> \"To\"")),
        ("order-events", "OrderCancelled", "orders", Transitions("\"To\" = 'Cancelled' AND \"From\" <> \"To\"")),
        // A refund always follows its charge's fact (one produced with the refund when the charge was never recorded).
        ("payment-events", "PaymentProcessed", "payments", "SELECT count(*) FROM payments WHERE \"Status\" IN ('Succeeded', 'Refunded')"),
        ("payment-events", "PaymentDeclined", "payments", "SELECT count(*) FROM payments WHERE \"Status\" = 'Declined'"),
        ("payment-events", "PaymentRefunded", "payments", "SELECT count(*) FROM payments WHERE \"Status\" = 'Refunded'"),
        ("inventory-events", "InventoryReserved", "inventory", "SELECT count(*) FROM allocation_lines"),
    ];

    static readonly (string Type, string Column)[] Funnel =
        [("OrderCreated", "Created"), ("OrderConfirmed", "Confirmed"), ("OrderFailed", "Failed"), ("OrderCancelled", "Cancelled"), ("OrderCompleted", "Completed")];

    // streamLog: per (stream, type, the short type name), the distinct events the stream holds and all its copies.
    public static async Task<FactReport> CheckAsync(Func<string, Task<DbConnection>> openDatabase, IReadOnlyList<string> outboxes,
        Func<Task<IReadOnlyDictionary<(string Stream, string Type), (long Distinct, long Copies)>>> streamLog, TimeSpan settle)
    {
        var until = DateTime.UtcNow + settle;
        while (true)
        {
            var report = await CheckOnceAsync(openDatabase, outboxes, streamLog);
            if (report.Holds || DateTime.UtcNow > until)
                return report;
            await Task.Delay(500);
        }
    }

    static async Task<FactReport> CheckOnceAsync(Func<string, Task<DbConnection>> openDatabase, IReadOnlyList<string> outboxes,
        Func<Task<IReadOnlyDictionary<(string Stream, string Type), (long Distinct, long Copies)>>> streamLog)
    {
        var undelivered = new Dictionary<string, long>();
        foreach (var domain in outboxes)
            undelivered[domain] = await ScalarAsync(openDatabase, domain, "SELECT count(*) FROM stream_outbox");
        var log = await streamLog();
        var counted = (await RowsAsync(openDatabase, "analytics",
            "SELECT \"Stream\", \"EventType\", CAST(sum(\"Count\") AS bigint) FROM event_counts GROUP BY \"Stream\", \"EventType\"",
            r => (Key: (r.GetString(0), r.GetString(1)), Count: r.GetInt64(2)))).ToDictionary(r => r.Key, r => r.Count);
        var committed = new Dictionary<(string, string), long>();
        foreach (var (stream, type, domain, sql) in Committed)
            committed[(stream, type)] = await ScalarAsync(openDatabase, domain, sql);
        var funnel = (await RowsAsync(openDatabase, "analytics",
            "SELECT " + string.Join(", ", Funnel.Select(f => $"CAST(coalesce(sum(\"{f.Column}\"), 0) AS bigint)")) + " FROM order_funnel",
            r => Enumerable.Range(0, Funnel.Length).Select(r.GetInt64).ToArray())).Single();

        var counts = log.Keys.Concat(counted.Keys).Concat(committed.Keys).Distinct().OrderBy(k => k.Item1, StringComparer.Ordinal)
            .ThenBy(k => k.Item2, StringComparer.Ordinal)
            .Select(k => new FactCount(k.Item1, k.Item2, counted.GetValueOrDefault(k), log.GetValueOrDefault(k).Distinct, log.GetValueOrDefault(k).Copies,
                committed.TryGetValue(k, out var c) ? c : null))
            .ToList();
        var funnelMismatches = Funnel.Select((stage, i) => (stage.Column, Funnel: funnel[i], Facts: counted.GetValueOrDefault(("order-events", stage.Type))))
            .Where(f => f.Funnel != f.Facts).Select(f => $"funnel {f.Column} {f.Funnel}, {f.Facts} facts counted").ToList();
        return new FactReport(counts, undelivered, funnelMismatches);
    }

    static string Transitions(string where) => $"SELECT count(*) FROM order_transitions WHERE {where}";

    static async Task<long> ScalarAsync(Func<string, Task<DbConnection>> openDatabase, string domain, string sql) =>
        (await RowsAsync(openDatabase, domain, sql, r => r.GetInt64(0))).Single();

    static async Task<List<T>> RowsAsync<T>(Func<string, Task<DbConnection>> openDatabase, string domain, string sql, Func<DbDataReader, T> read)
    {
        await using var connection = await openDatabase(domain);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
            rows.Add(read(reader));
        return rows;
    }
}

// Analytics: what the group counted; Logged: distinct facts on the stream (Copies: every copy); Committed: what the
// domain database committed them with (null where no table records it, e.g. logins).
public sealed record FactCount(string Stream, string Type, long Analytics, long Logged, long Copies, long? Committed)
{
    public bool Holds => Analytics == Logged && (Committed is null || Committed == Logged);
}

public sealed record FactReport(IReadOnlyList<FactCount> Counts, IReadOnlyDictionary<string, long> Undelivered, IReadOnlyList<string> FunnelMismatches)
{
    public bool Holds => Counts.All(c => c.Holds) && Undelivered.Values.All(v => v == 0) && FunnelMismatches.Count == 0;

    public long Facts => Counts.Sum(c => c.Logged);

    public long Copies => Counts.Sum(c => c.Copies - c.Logged);

    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine($"{Facts} facts on the streams ({Copies} extra copies), {Counts.Sum(c => c.Analytics)} counted by the analytics group; " +
            $"stream outboxes: {string.Join(", ", Undelivered.Select(u => $"{u.Key} {u.Value}"))}");
        text.AppendLine("stream            type                  counted   logged   copies  committed");
        foreach (var c in Counts)
            text.AppendLine($"{c.Stream,-17} {c.Type,-20} {c.Analytics,8} {c.Logged,8} {c.Copies,8} {c.Committed?.ToString() ?? "-",10}{(c.Holds ? "" : "   <-- differs")}");
        foreach (var mismatch in FunnelMismatches)
            text.AppendLine(mismatch);
        return text.ToString();
    }
}

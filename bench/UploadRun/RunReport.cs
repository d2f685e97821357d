using System.Globalization;
using System.Text;

namespace GlobalCommerce.Bench.UploadRun;

// The result table. Times run from the start of the POST; "after" times are when a poll first saw the state, so they
// are late by up to one --poll interval.
public sealed record RunReport(
    int Rows,
    int Products,
    int Warehouses,
    long FileBytes,
    TimeSpan Accepted202,
    TimeSpan Completed,
    TimeSpan ServerProcessing,
    TimeSpan FannedOut,
    double ApiCpuSeconds,
    double IdleRss,
    double PeakRss,
    double?[] RssAtQuarters,
    double VmHwm,
    Latencies StatusLatencies,
    Latencies FanOutChecks,
    FanOutState FanOut)
{
    // Issue #12: 100,000 rows accepted and fully fanned out in under 30 s on 2 cores.
    public const int TargetRows = 100_000;
    public static readonly TimeSpan Target = TimeSpan.FromSeconds(30);

    public string ToMarkdown()
    {
        var table = new StringBuilder();
        void Row(string figure, FormattableString value) =>
            table.Append(CultureInfo.InvariantCulture, $"| {figure} | {FormattableString.Invariant(value)} |").Append('\n');

        table.Append("| figure | value |\n|---|---|\n");
        Row("rows", $"{Rows:N0} ({Products} products x {Warehouses:N0} warehouses)");
        Row("file", $"{FileBytes / 1048576.0:0.00} MB");
        Row("time to 202 (file sent and spooled)", $"{Accepted202.TotalSeconds:0.00} s");
        Row("accepted (status completed) after", $"{Completed.TotalSeconds:0.0} s ({Rows / Completed.TotalSeconds:N0} rows/s)");
        Row("server: received to completed", $"{ServerProcessing.TotalSeconds:0.0} s");
        Row("fanned out after", $"{FannedOut.TotalSeconds:0.0} s ({Rows / FannedOut.TotalSeconds:N0} rows/s end to end)");
        var met = FannedOut < Target ? "yes" : "no";
        Row("target: accepted and fanned out in under 30 s", $"{met}{(Rows == TargetRows ? "" : " (the target is set for 100,000 rows)")}");
        Row("API CPU, upload start to fanned out", $"{ApiCpuSeconds:0.0} s ({ApiCpuSeconds / FannedOut.TotalSeconds:0.00} cores)");
        Row("API RSS idle / peak", $"{IdleRss:0} / {PeakRss:0} MB");
        Row("API RSS at 25 / 50 / 75 / 100 % of rows read", $"{string.Join(" / ", RssAtQuarters.Select(Mb))} MB");
        Row("API VmHWM (its whole life)", $"{VmHwm:0} MB");
        Row("status request latency p50 / p99 / max",
            $"{StatusLatencies.Percentile(50):0} / {StatusLatencies.Percentile(99):0} / {StatusLatencies.Max:0} ms ({Count(StatusLatencies.Count, "request")})");
        Row("fan-out check (products, alerts once stock holds, analytics) p50 / max",
            $"{FanOutChecks.Percentile(50):0} / {FanOutChecks.Max:0} ms ({Count(FanOutChecks.Count, "check")})");
        Row("reorder alerts / InventoryUpdated / StockLevelReported", $"{FanOut.Alerts:N0} / {FanOut.InventoryUpdated:N0} / {FanOut.StockLevelReported:N0}");
        return table.ToString();
    }

    static string Count(int count, string noun) => string.Create(CultureInfo.InvariantCulture, $"{count:N0} {noun}{(count == 1 ? "" : "s")}");

    static string Mb(double? megabytes) => megabytes is { } value ? value.ToString("0", CultureInfo.InvariantCulture) : "-";
}

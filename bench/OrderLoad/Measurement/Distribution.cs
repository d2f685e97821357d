namespace GlobalCommerce.Bench.OrderLoad.Measurement;

// Percentiles by nearest rank over every sample: a few thousand orders per phase need no histogram.
public sealed record Distribution(int Count, double P50, double P95, double P99, double Max)
{
    public static readonly Distribution Empty = new(0, double.NaN, double.NaN, double.NaN, double.NaN);

    public static Distribution Of(IEnumerable<double> samples)
    {
        var sorted = samples.Where(double.IsFinite).Order().ToArray();
        if (sorted.Length == 0)
            return Empty;
        double At(double percentile) => sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Distribution(sorted.Length, At(50), At(95), At(99), sorted[^1]);
    }
}

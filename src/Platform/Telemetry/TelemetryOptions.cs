namespace GlobalCommerce.Platform.Telemetry;

public sealed class TelemetryOptions
{
    public const string Section = "Commerce:Telemetry";

    public TelemetryExporter Exporter { get; set; } = TelemetryExporter.None;

    // gRPC, the collector's default port.
    public Uri OtlpEndpoint { get; set; } = new("http://127.0.0.1:4317");

    // Empty: derived from the host's entry assembly.
    public string? ServiceName { get; set; }
}

public enum TelemetryExporter
{
    // No OpenTelemetry SDK at all: nothing listens, so the instrumented code pays next to nothing.
    None,
    Console,
    Otlp,
}

using System.Reflection;
using MassTransit.Logging;
using MassTransit.Monitoring;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace GlobalCommerce.Platform.Telemetry;

// Traces, metrics and logs for every host, configured once. An order is one trace: ASP.NET Core continues the
// caller's traceparent, and MassTransit writes the current trace context into each message's headers and continues
// it when consuming, so the HTTP POST, the saga and every consumer it commands share one trace id.
public static class CommerceTelemetry
{
    // Our own instruments (OrderMetrics, the orders-by-state gauge) live on this meter.
    public const string MeterName = "GlobalCommerce";

    // PostgreSQL commands are traced by Npgsql itself; EF Core's spans would only wrap the same commands again.
    const string NpgsqlEfProvider = "Npgsql.EntityFrameworkCore.PostgreSQL";

    public static TBuilder AddCommerceTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        var options = new TelemetryOptions();
        builder.Configuration.GetSection(TelemetryOptions.Section).Bind(options);

        // Every console line written inside a request or a consume names its trace and span, so logs and traces join up.
        builder.Logging.Configure(logging => logging.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        // Without a formatter name the console logger takes its (obsolete) own options over the formatter's, scopes off.
        builder.Services.Configure<ConsoleLoggerOptions>(console => console.FormatterName ??= ConsoleFormatterNames.Simple);
        builder.Services.Configure<SimpleConsoleFormatterOptions>(console => console.IncludeScopes = true);
        builder.Services.Configure<JsonConsoleFormatterOptions>(console => console.IncludeScopes = true);

        if (options.Exporter == TelemetryExporter.None)
            return builder;

        var serviceName = string.IsNullOrWhiteSpace(options.ServiceName)
            ? builder.Environment.ApplicationName.Replace('.', '-').ToLowerInvariant()
            : options.ServiceName;
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService(serviceName, serviceVersion: Assembly.GetEntryAssembly()?.GetName().Version?.ToString())
                .AddAttributes([new("deployment.environment.name", builder.Environment.EnvironmentName)]))
            .WithTracing(tracing => tracing
                // Probes hit the health endpoints every few seconds; their spans would bury the orders.
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = http => !http.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddSource(DiagnosticHeaders.DefaultListenerName)
                .AddSource(Streams.StreamTelemetry.SourceName)
                .AddNpgsql()
                .AddEntityFrameworkCoreInstrumentation(efCore => efCore.Filter = (provider, _) => provider != NpgsqlEfProvider))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                // Built into the runtime since .NET 9: GC, thread pool, exceptions, CPU and working set.
                .AddMeter("System.Runtime")
                .AddMeter(InstrumentationOptions.MeterName)
                .AddNpgsqlInstrumentation()
                .AddMeter(MeterName));

        switch (options.Exporter)
        {
            case TelemetryExporter.Console:
                telemetry.WithTracing(tracing => tracing.AddConsoleExporter()).WithMetrics(metrics => metrics.AddConsoleExporter());
                break;
            case TelemetryExporter.Otlp:
                telemetry
                    .WithLogging(configureBuilder: null, configureOptions: logging =>
                    {
                        logging.IncludeScopes = true;
                        logging.IncludeFormattedMessage = true;
                    })
                    .UseOtlpExporter(OtlpExportProtocol.Grpc, options.OtlpEndpoint);
                break;
            default:
                throw new InvalidOperationException($"Unknown telemetry exporter {options.Exporter}");
        }

        return builder;
    }
}

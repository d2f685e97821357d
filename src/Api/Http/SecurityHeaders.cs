using System.Net;
using GlobalCommerce.Api.Problems;
using GlobalCommerce.Platform;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.HttpsPolicy;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace GlobalCommerce.Api.Http;

// Commerce:Http. Real mode runs behind a TLS-terminating reverse proxy (load balancer, ingress): the proxy holds the
// certificate and forwards plain HTTP with X-Forwarded-For/-Proto; the API believes those headers only from KnownProxies
// or KnownNetworks (loopback is always trusted), so a client cannot claim HTTPS or another address by sending them.
public sealed class HttpSecurityOptions
{
    public const string Section = "Commerce:Http";

    // Redirect plain-HTTP requests to HTTPS and send Strict-Transport-Security on HTTPS answers. On by default in the
    // distributed mode; the embedded default serves http://localhost, where neither makes sense.
    public bool? RequireHttps { get; set; }

    public string[] KnownProxies { get; set; } = [];

    // CIDR notation, e.g. 10.0.0.0/8 for a proxy fleet whose addresses change.
    public string[] KnownNetworks { get; set; } = [];

    public int HttpsPort { get; set; } = 443;

    public TimeSpan HstsMaxAge { get; set; } = TimeSpan.FromDays(365);

    public bool HstsIncludeSubDomains { get; set; }

    public static HttpSecurityOptions From(IConfiguration configuration, CommerceOptions commerce)
    {
        var options = new HttpSecurityOptions();
        configuration.GetSection(Section).Bind(options);
        options.RequireHttps ??= !commerce.IsEmbedded;
        return options;
    }
}

// One place for the headers every answer carries and for the HTTP-level defences in front of every endpoint.
public static class SecurityHeaders
{
    // The console is Blazor Server: its own script (blazor.web.js) and stylesheet, and the circuit's WebSocket back to
    // the same origin. Nothing inline, nothing from elsewhere, never inside another site's frame.
    public const string ConsolePolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    // JSON needs no sources at all; should a browser ever render an API answer, it can run nothing.
    public const string ApiPolicy = "default-src 'none'; frame-ancestors 'none'";

    public static IServiceCollection AddCommerceHttp(this IServiceCollection services)
    {
        services.AddProblemDetails(problems => problems.CustomizeProblemDetails = ProblemResults.Customize);
        // Naming the server and its version only helps whoever looks for a known vulnerability.
        services.Configure<KestrelServerOptions>(kestrel => kestrel.AddServerHeader = false);
        services.AddOptions<HstsOptions>().Configure<IConfiguration>((hsts, configuration) =>
        {
            var options = HttpSecurityOptions.From(configuration, CommerceOptions.From(configuration));
            hsts.MaxAge = options.HstsMaxAge;
            hsts.IncludeSubDomains = options.HstsIncludeSubDomains;
        });
        services.AddOptions<HttpsRedirectionOptions>().Configure<IConfiguration>((redirect, configuration) =>
            redirect.HttpsPort = HttpSecurityOptions.From(configuration, CommerceOptions.From(configuration)).HttpsPort);
        return services;
    }

    public static WebApplication UseCommerceHttp(this WebApplication app)
    {
        var commerce = CommerceOptions.From(app.Configuration);
        var options = HttpSecurityOptions.From(app.Configuration, commerce);
        if (!commerce.IsEmbedded || options.KnownProxies.Length + options.KnownNetworks.Length > 0)
            app.UseForwardedHeaders(ForwardedHeaders(options));
        app.Use(AddHeaders);
        if (options.RequireHttps == true)
        {
            app.UseHsts();
            // Probes of an orchestrator ask over plain HTTP from inside the cluster, not through the proxy.
            app.UseWhen(http => !http.Request.Path.StartsWithSegments("/health"), https => https.UseHttpsRedirection());
        }

        app.UseProblemResponses();
        return app;
    }

    static ForwardedHeadersOptions ForwardedHeaders(HttpSecurityOptions options)
    {
        var forwarded = new ForwardedHeadersOptions
        {
            ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto,
        };
        foreach (var proxy in options.KnownProxies)
            forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
        foreach (var network in options.KnownNetworks)
            forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        return forwarded;
    }

    // Set when the answer starts, so that answers written by the exception handler, status code pages or the
    // authentication challenge (which clear or bypass whatever an endpoint set) carry them too.
    static Task AddHeaders(HttpContext http, Func<Task> next)
    {
        http.Response.OnStarting(() =>
        {
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.ContentSecurityPolicy = IsConsole(http.Request.Path) ? ConsolePolicy : ApiPolicy;
            // Tokens, personal data and order details must not sit in a browser's or a proxy's cache: nothing is
            // stored unless the endpoint says otherwise (the static assets do, with their fingerprinted names).
            if (string.IsNullOrEmpty(headers.CacheControl))
                headers.CacheControl = "no-store";
            return Task.CompletedTask;
        });
        return next();
    }

    static bool IsConsole(PathString path) =>
        path.StartsWithSegments("/support") || path.StartsWithSegments("/_blazor") || path.StartsWithSegments("/_framework");
}

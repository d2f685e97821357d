using System.Security.Claims;
using GlobalCommerce.Api.Support.Components;
using GlobalCommerce.Api.Support.Staff;
using GlobalCommerce.Consumers.Payments;
using GlobalCommerce.Consumers.Shipping;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Sagas.Orders;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GlobalCommerce.Api.Support;

// The support console: Blazor pages under /support behind a cookie of their own, readable by staff with the support
// or admin role. It reads every domain's database and acts only by sending commands to the saga through the bus outbox.
public static class SupportConsole
{
    public const string Scheme = "SupportConsole";
    public const string StaffPolicy = "SupportStaff";
    public const string AdminPolicy = "SupportAdmin";

    public static WebApplicationBuilder AddSupportConsole(this WebApplicationBuilder builder, CommerceOptions options)
    {
        var services = builder.Services;
        var support = new SupportOptions();
        builder.Configuration.GetSection(SupportOptions.Section).Bind(support);
        var sagaOptions = new OrderSagaOptions();
        builder.Configuration.GetSection(OrderSagaOptions.Section).Bind(sagaOptions);
        services.AddSingleton(support);
        services.TryAddSingleton(options);
        services.AddSingleton(new OrderStateMachineModel(sagaOptions));
        services.AddScoped<IStaffDirectory, IdentityStaffDirectory>();
        services.AddScoped<OrderInspection>();
        services.AddScoped<SupportActions>();

        // The money and shipment position of an order is read live from their domains' databases.
        services.AddDomainDbContext<PaymentsDbContext>(options, "payments");
        services.AddDomainDbContext<ShippingDbContext>(options, "shipping");

        services.AddAuthentication().AddCookie(Scheme, cookie =>
        {
            cookie.LoginPath = "/support/login";
            cookie.AccessDeniedPath = "/support/denied";
            cookie.LogoutPath = "/support/logout";
            cookie.Cookie.Name = "gc.support";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
            cookie.SlidingExpiration = true;
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(StaffPolicy, policy => policy.AddAuthenticationSchemes(Scheme).RequireRole(StaffRoles.Support, StaffRoles.Admin))
            .AddPolicy(AdminPolicy, policy => policy.AddAuthenticationSchemes(Scheme).RequireRole(StaffRoles.Admin));
        services.AddCascadingAuthenticationState();
        services.AddRazorComponents().AddInteractiveServerComponents();
        return builder;
    }

    public static WebApplication MapSupportConsole(this WebApplication app)
    {
        // Authentication and authorization run earlier in the pipeline (Program.cs). The API's fallback policy asks for a
        // bearer token, which a browser on the console never has: every console endpoint (the pages, the circuit's hub
        // under /_blazor, sign-out) names the staff policy, so the console cookie is what opens them. The sign-in and
        // denied pages opt out with [AllowAnonymous]; the static assets are public.
        app.UseAntiforgery();
        app.MapStaticAssets().AllowAnonymous();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode().RequireAuthorization(StaffPolicy);
        app.MapPost("/support/logout", async (HttpContext http, IAntiforgery antiforgery) =>
        {
            await antiforgery.ValidateRequestAsync(http);
            await http.SignOutAsync(Scheme);
            return Results.Redirect("/support/login");
        }).RequireAuthorization(StaffPolicy).ExcludeFromDescription();
        return app;
    }

    public static string Actor(this ClaimsPrincipal user) => user.Identity?.Name ?? "unknown";

    public static bool IsAdmin(this ClaimsPrincipal user) => user.IsInRole(StaffRoles.Admin);

    public static string StaffRole(this ClaimsPrincipal user) => user.IsAdmin() ? StaffRoles.Admin : StaffRoles.Support;
}

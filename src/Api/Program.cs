using GlobalCommerce.Api.Catalog;
using GlobalCommerce.Api.Identity;
using GlobalCommerce.Api.OpenApi;
using GlobalCommerce.Api.Orders;
using GlobalCommerce.Api.Problems;
using GlobalCommerce.Api.Support;
using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Hosting;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Telemetry;
using GlobalCommerce.Sagas.Erasure;
using GlobalCommerce.Sagas.Orders;
using GlobalCommerce.Workers;
using Microsoft.Extensions.DependencyInjection.Extensions;

var builder = WebApplication.CreateBuilder(args);
var options = CommerceOptions.From(builder.Configuration);
builder.AddCommerceTelemetry();

builder.Services.AddProblemDetails(problems => problems.CustomizeProblemDetails = ProblemResults.Customize);
builder.Services.AddCommerceOpenApi();
builder.Services.AddCommerceHealthChecks();
builder.Services.TryAddSingleton(TimeProvider.System);

builder.Services.AddHostedService<DatabaseInitializer>();
builder.Services.AddOrderDatabase(options).AddCatalogDatabase(options).AddInventoryDatabase(options);
builder.Services.AddErasureDatabase(options);
builder.Services.AddBusOutbox<OrderDbContext>().AddBusOutbox<ErasureDbContext>();
builder.Services.AddOrderAdmission(builder.Configuration);
builder.Services.AddCommerceIdentity(builder.Configuration, options);
if (options.SeedDemoCatalog)
    builder.Services.AddHostedService<DemoCatalogSeeder>();
builder.AddSupportConsole(options);
builder.Services.AddCommerceBus(options, bus =>
{
    bus.AddAccountErasure();
    if (options.RunWorkers)
        bus.AddOrderProcessing(builder.Configuration, options);
});

var app = builder.Build();
if (await AdminCommand.TryRunAsync(app, args))
    return;
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseRateLimiter();
app.UseAuthorization();
app.MapOpenApi().AllowAnonymous();
app.MapCommerceHealthChecks();
app.MapAuth();
app.MapMe();
app.MapErasure();
app.MapProducts();
app.MapOrders();
app.MapSupportConsole();
await app.RunAsync();

public partial class Program;

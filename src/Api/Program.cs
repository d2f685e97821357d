using GlobalCommerce.Api.Analytics;
using GlobalCommerce.Api.Catalog;
using GlobalCommerce.Api.Http;
using GlobalCommerce.Api.Identity;
using GlobalCommerce.Api.OpenApi;
using GlobalCommerce.Api.Orders;
using GlobalCommerce.Api.Support;
using GlobalCommerce.Api.Vendors;
using GlobalCommerce.Consumers;
using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Platform.Hosting;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Sagas;

var builder = WebApplication.CreateBuilder(args);
var options = builder.AddCommercePlatform(defaultUrl: "http://localhost:5080");
builder.Services.AddCommerceHttp();
builder.Services.AddCommerceOpenApi();
builder.Services.AddCommerceIdentity(builder.Configuration, options);
builder.Services.AddCatalog(builder.Configuration, options);
builder.Services.AddSearchApi(builder.Configuration, options);
builder.Services.AddProductImages(builder.Configuration, options);
builder.Services.AddOrders(builder.Configuration, options);
builder.Services.AddVendorUploads(builder.Configuration, options);
builder.Services.AddErasure(options, builder.Configuration);
builder.Services.AddAnalyticsSummary(options);
builder.AddSupportConsole(options);
builder.Services.AddCommerceBus(options, bus =>
{
    bus.AddAccountErasure();
    if (options.RunWorkers)
        bus.AddSagas(builder.Configuration, options).AddConsumers(builder.Configuration, options);
});

var app = builder.Build();
if (await AdminCommand.TryRunAsync(app, args) || await ReindexCommand.TryRunAsync(app, args) || await GenerateCatalogCommand.TryRunAsync(app, args))
    return;
app.UseCommerceHttp();
app.UseCommerceIdentity();
app.UseCatalogReads();
app.MapOpenApi().AllowAnonymous();
app.MapCommerceHealthChecks();
app.MapIdentity();
app.MapProducts();
app.MapProductWrites();
app.MapSearch();
app.MapCacheAdmin();
app.MapProductImages();
app.MapOrders();
app.MapVendors();
app.MapAnalytics();
app.MapSupportConsole();
await app.RunAsync();

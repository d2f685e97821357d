using GlobalCommerce.Consumers;
using GlobalCommerce.Platform.Hosting;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Platform.Messaging.FaultInjection;
using GlobalCommerce.Sagas;

var builder = WebApplication.CreateBuilder(args);
var options = builder.AddCommercePlatform(defaultUrl: "http://127.0.0.1:5081");
builder.Services.AddCommerceBus(options, bus => bus.AddSagas(builder.Configuration, options).AddConsumers(builder.Configuration, options));
// Off unless a fault-survival test asks for it (Commerce:Testing, FaultInjection environment only).
builder.Services.AddFaultInjection(builder.Configuration, builder.Environment);

var app = builder.Build();
app.MapCommerceHealthChecks();
await app.RunAsync();

using GlobalCommerce.Consumers.Inventory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GlobalCommerce.Consumers.Catalog;

// Seeds the demo catalog on first start so a fresh install has something to order.
public sealed class DemoCatalogSeeder(IServiceScopeFactory scopes) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await DemoCatalog.SeedAsync(
            scope.ServiceProvider.GetRequiredService<CatalogDbContext>(),
            scope.ServiceProvider.GetRequiredService<InventoryDbContext>(),
            cancellationToken,
            scope.ServiceProvider.GetRequiredService<ProductEvents>());
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

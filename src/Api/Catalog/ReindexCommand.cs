using System.Diagnostics;
using GlobalCommerce.Consumers.Catalog.Search;
using GlobalCommerce.Platform.Persistence;

namespace GlobalCommerce.Api.Catalog;

// dotnet run --project src/Api -- reindex
// Rebuilds this host's search index from product_db, showing progress. Run it with the host stopped (a Lucene index has
// one writer: a running host holds its lock, and the command says so); a running host rebuilds an empty index by itself.
public static class ReindexCommand
{
    public static async Task<bool> TryRunAsync(WebApplication app, string[] args)
    {
        if (args.Length == 0 || args[0] != "reindex")
            return false;

        var initializer = app.Services.GetServices<IHostedService>().OfType<DatabaseInitializer>().Single();
        await initializer.StartAsync(CancellationToken.None);
        SearchReindexer reindexer;
        try
        {
            reindexer = app.Services.GetRequiredService<SearchReindexer>();
        }
        catch (Exception exception) when (exception.GetBaseException() is Lucene.Net.Store.LockObtainFailedException)
        {
            await Console.Error.WriteLineAsync("The search index is in use by a running host: stop it first (it rebuilds an empty index by itself).");
            Environment.ExitCode = 1;
            return true;
        }

        var total = await reindexer.CatalogSizeAsync(CancellationToken.None);
        var clock = Stopwatch.StartNew();
        var progress = new Progress(total, clock);
        var indexed = await reindexer.RebuildAsync(progress, CancellationToken.None);
        progress.Done(indexed);
        return true;
    }

    // One line every half second at most: done / total, rate, elapsed.
    sealed class Progress(long total, Stopwatch clock) : IProgress<long>
    {
        long _lastPrint = -1;

        public void Report(long value)
        {
            var now = clock.ElapsedMilliseconds;
            if (_lastPrint >= 0 && now - _lastPrint < 500)
                return;
            _lastPrint = now;
            Print(value);
        }

        public void Done(long value)
        {
            Print(value);
            Console.Error.WriteLine($"[reindex] done: {value:N0} products in {clock.Elapsed.TotalSeconds:F1} s");
        }

        void Print(long value)
        {
            var seconds = Math.Max(clock.Elapsed.TotalSeconds, 0.001);
            var percent = total == 0 ? 100 : 100.0 * value / total;
            Console.Error.WriteLine($"[reindex] {value:N0} / {total:N0} products ({percent:F0} %), {value / seconds:N0}/s, {seconds:F1} s");
        }
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GlobalCommerce.Api.Identity;
using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Platform.Streams;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Api.Tests.Vendors;

// A vendor's side of the API as tests use it: uploads, waiting for them, the catalog's view, and a second vendor.
public static class VendorApi
{
    public const string Header = "sku,warehouse,quantity,price,reorder_point";
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static Task<HttpClient> DemoVendorAsync(this ApiFactory factory) => factory.CreateClientAsAsync("vendor@demo.local");

    // Another vendor (accounts with the role are made by staff, not by registration) owning one product of its own.
    public static async Task<(HttpClient Client, Guid VendorId, string Sku)> OtherVendorAsync(this ApiFactory factory)
    {
        var email = $"vendor-{Guid.NewGuid():N}@example.test";
        const string password = "Lantern-Quartz-42";
        var vendorId = Guid.NewGuid();
        var sku = "OTH-" + vendorId.ToString("N")[..8].ToUpperInvariant();
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<CommerceUser>>();
            var user = new CommerceUser { Id = vendorId, UserName = email, Email = email, EmailConfirmed = true, CreatedAt = DateTimeOffset.UtcNow };
            Assert.True((await users.CreateAsync(user, password)).Succeeded);
            Assert.True((await users.AddToRoleAsync(user, Roles.Vendor)).Succeeded);
            var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            catalog.Products.Add(new Product
            {
                Id = Guid.NewGuid(), Sku = sku, Name = "Other vendor's lamp", Brand = "Lumen", Category = "Home & Kitchen", Description = "", Price = 15m, Currency = "EUR",
                VendorId = vendorId, InStock = true,
            });
            await catalog.SaveChangesAsync();
        }

        var client = factory.CreateClient();
        await ApiFactory.AuthorizeAsync(client, email, password);
        return (client, vendorId, sku);
    }

    public static Task<HttpResponseMessage> UploadCsvAsync(this HttpClient client, string csv) =>
        client.PostAsync("/api/vendors/me/inventory", new StringContent(csv, Encoding.UTF8, "text/csv"));

    public static string Csv(params string[] rows) => string.Join("\n", [Header, .. rows]) + "\n";

    public static async Task<Guid> UploadIdAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"upload answered {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("uploadId").GetGuid();
        Assert.Equal($"/api/vendors/me/inventory/uploads/{id}", response.Headers.Location?.OriginalString);
        return id;
    }

    // Uploads and waits until every row has been read (status completed).
    public static async Task<JsonElement> UploadAndWaitAsync(this HttpClient client, string csv, TimeSpan? timeout = null) =>
        await client.WaitForUploadAsync(await UploadIdAsync(await client.UploadCsvAsync(csv)), timeout);

    public static async Task<JsonElement> WaitForUploadAsync(this HttpClient client, Guid uploadId, TimeSpan? timeout = null,
        Func<JsonElement, bool>? until = null, string query = "")
    {
        until ??= status => status.GetProperty("status").GetString() is "completed" or "failed";
        var deadline = DateTime.UtcNow + (timeout ?? Patience);
        while (true)
        {
            var status = await client.GetFromJsonAsync<JsonElement>($"/api/vendors/me/inventory/uploads/{uploadId}{query}");
            if (until(status))
                return status;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Upload {uploadId}: {status}");
            await Task.Delay(100);
        }
    }

    public static Dictionary<int, JsonElement> RejectionsByLine(JsonElement status) =>
        status.GetProperty("rejections").GetProperty("items").EnumerateArray().ToDictionary(r => r.GetProperty("line").GetInt32());

    public static async Task<JsonElement> ProductAsync(this HttpClient client, Guid id) =>
        await client.GetFromJsonAsync<JsonElement>($"/api/products/{id}");

    // Polls the product until the condition holds (the consumer groups apply events asynchronously).
    public static async Task<JsonElement> WaitForProductAsync(this HttpClient client, Guid id, Func<JsonElement, bool> until, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Patience);
        while (true)
        {
            var product = await client.ProductAsync(id);
            if (until(product))
                return product;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Product {id} never matched: {product}");
            await Task.Delay(100);
        }
    }

    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> until, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Patience);
        while (true)
        {
            var value = await read();
            if (until(value))
                return value;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Never matched: {value}");
            await Task.Delay(100);
        }
    }

    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        Assert.True(response.StatusCode == status, $"expected {status}, got {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal($"urn:globalcommerce:problem:{type}", problem.GetProperty("type").GetString());
        return problem;
    }

    // Every event of type T on its stream, read from the embedded backend the engine runs on.
    public static async Task<List<T>> StreamEventsAsync<T>(this ApiFactory factory, string stream)
        where T : class =>
        [.. (await factory.StreamEnvelopesAsync<T>(stream)).Select(e => (T)StreamSerializer.Deserialize(e.Body, typeof(T)))];

    public static async Task<List<StreamEnvelope>> StreamEnvelopesAsync<T>(this ApiFactory factory, string stream)
        where T : class
    {
        var backend = factory.Services.GetRequiredService<IStreamBackend>();
        var partitions = factory.Services.GetRequiredService<StreamOptions>().Partitions;
        var type = StreamSerializer.TypeName(typeof(T));
        var events = new List<StreamEnvelope>();
        for (var partition = 0; partition < partitions; partition++)
        {
            await using var reader = await backend.OpenAsync(stream, partition, null, CancellationToken.None);
            while (await reader.ReadAsync(1000, TimeSpan.Zero, CancellationToken.None) is { Count: > 0 } batch)
                events.AddRange(batch.Where(e => e.MessageType == type));
        }

        return events;
    }

    // A body of unknown length (sent chunked): its size can only be found while reading it.
    public sealed class UnknownLengthContent : HttpContent
    {
        readonly byte[] _body;

        public UnknownLengthContent(string body, string mediaType)
        {
            _body = Encoding.UTF8.GetBytes(body);
            Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(_body).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}

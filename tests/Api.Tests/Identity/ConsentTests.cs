using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Api.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Api.Tests.Identity;

public sealed class ConsentTests : IDisposable
{
    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Concurrent_first_consents_all_succeed_and_leave_one_row()
    {
        var shopper = await _factory.CreateShopperClientAsync();
        var userId = (await shopper.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("id").GetGuid();

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            shopper.PutAsJsonAsync("/api/me/consent", new { marketingEmails = true, analytics = i % 2 == 0 })));

        Assert.All(answers, answer => Assert.Equal(HttpStatusCode.OK, answer.StatusCode));
        await using var scope = _factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
        Assert.Equal(1, await db.Consents.CountAsync(c => c.UserId == userId));
        Assert.True((await db.Consents.SingleAsync(c => c.UserId == userId)).MarketingEmails);
    }

    [Fact]
    public async Task An_empty_consent_keeps_every_value_on_the_first_and_a_later_put()
    {
        var shopper = await _factory.CreateShopperClientAsync();

        var first = await shopper.PutAsJsonAsync("/api/me/consent", new { });
        await shopper.PutAsJsonAsync("/api/me/consent", new { personalisation = true });
        var later = await shopper.PutAsJsonAsync("/api/me/consent", new { });

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        var consent = await later.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(consent.GetProperty("personalisation").GetBoolean());
        Assert.False(consent.GetProperty("marketingEmails").GetBoolean());
    }
}

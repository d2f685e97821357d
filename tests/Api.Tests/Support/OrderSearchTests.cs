using System.Net;

namespace GlobalCommerce.Api.Tests.Support;

public sealed class OrderSearchTests
{
    // Typed or edited URLs: not a number, past int, negative, and a number of minutes reaching back before year 1.
    [Theory]
    [InlineData("abc")]
    [InlineData("99999999999")]
    [InlineData("-5")]
    [InlineData("2000000000")]
    [InlineData("1e3")]
    public async Task A_bad_minimum_age_in_the_search_is_explained_on_the_page_not_answered_with_500(string minAge)
    {
        await using var factory = new ApiFactory();
        var support = await ConsoleBrowser.SignedInAsync(factory, "support@demo.local");

        var response = await support.GetAsync($"/support/orders?q=&minAge={Uri.EscapeDataString(minAge)}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("must be a whole number of minutes", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_good_minimum_age_searches()
    {
        await using var factory = new ApiFactory();
        var support = await ConsoleBrowser.SignedInAsync(factory, "support@demo.local");

        var page = await support.GetStringAsync("/support/orders?minAge=5");

        Assert.DoesNotContain("must be a whole number of minutes", page, StringComparison.Ordinal);
        Assert.Contains("No order matches.", page, StringComparison.Ordinal);
    }
}

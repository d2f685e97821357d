using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace GlobalCommerce.Api.Tests.Support;

// A browser on the console: cookies kept, redirects visible, signed in through the sign-in form.
public static partial class ConsoleBrowser
{
    public static async Task<HttpClient> SignedInAsync(ApiFactory factory, string email)
    {
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var form = await client.GetStringAsync("/support/login");
        var signedIn = await client.PostAsync("/support/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(TokenPattern().Match(form).Groups[1].Value),
            ["Input.Email"] = email,
            ["Input.Password"] = ApiFactory.DemoPassword,
        }));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        return client;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}

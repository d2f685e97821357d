using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GlobalCommerce.Api.Vendors;
using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Vendors;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static GlobalCommerce.Api.Tests.Vendors.VendorApi;

namespace GlobalCommerce.Api.Tests.Vendors;

// POST /api/vendors/me/inventory and its report, on the embedded default: rows checked one by one, bad ones listed with
// their line and reason, the whole upload refused only for its shape (size, columns, not JSON).
public sealed class VendorUploadTests : IDisposable
{
    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    static Guid Id(string sku) => DemoCatalog.ProductId(sku);

    [Fact]
    public async Task Every_rejection_reason_is_reported_with_its_line_and_the_good_rows_are_applied()
    {
        var vendor = await _factory.DemoVendorAsync();
        var (_, _, otherSku) = await _factory.OtherVendorAsync();
        var csv = Csv(
            "AUD-SP-003,BER-1,5,120.00,2",      // 2 accepted
            "NOPE-1,BER-1,1,1.00,0",            // 3 unknown SKU
            $"{otherSku},BER-1,1,1.00,0",       // 4 another vendor's SKU
            "AUD-EB-002,BER-1,-3,1.00,0",       // 5 negative quantity
            "AUD-EB-002,BER-2,ten,1.00,0",      // 6 malformed number
            "AUD-EB-002,BER-3,1,12.5.0,0",      // 7 malformed price
            "AUD-SP-003,BER-1,6,121.00,2",      // 8 duplicate of line 2
            "AUD-EB-002,BER-4,,1.00,0",         // 9 missing value
            "AUD-EB-002,=BER,1,1.00,0",         // 10 invalid warehouse
            "AUD-EB-002,BER-5,1,1.00,-1",       // 11 negative reorder point
            "AUD-EB-002,BER-6,1,0,0",           // 12 price not above 0
            "AUD-EB-002,\"BER\n7\",1,1.00,0",   // 13-14 a quoted line break: invalid warehouse, reported at its first line
            "AUD-EB-002,BER-8,2,88.00,0");      // 15 accepted

        var status = await vendor.UploadAndWaitAsync(csv);

        Assert.Equal(("completed", 100, 13, 2, 11), (status.GetProperty("status").GetString(), status.GetProperty("progress").GetInt32(),
            status.GetProperty("rowsRead").GetInt32(), status.GetProperty("accepted").GetInt32(), status.GetProperty("rejected").GetInt32()));
        var rejected = RejectionsByLine(status);
        var expected = new Dictionary<int, string>
        {
            [3] = RejectionCodes.UnknownSku, [4] = RejectionCodes.NotYourSku, [5] = RejectionCodes.NegativeQuantity, [6] = RejectionCodes.MalformedNumber,
            [7] = RejectionCodes.MalformedNumber, [8] = RejectionCodes.DuplicateRow, [9] = RejectionCodes.MissingValue,
            [10] = RejectionCodes.InvalidWarehouse, [11] = RejectionCodes.NegativeReorderPoint, [12] = RejectionCodes.InvalidPrice,
            [13] = RejectionCodes.InvalidWarehouse,
        };
        Assert.Equal(expected, rejected.ToDictionary(r => r.Key, r => r.Value.GetProperty("code").GetString()!));
        Assert.Contains("line 2", rejected[8].GetProperty("reason").GetString());
        Assert.Contains("quantity", rejected[9].GetProperty("reason").GetString());
        Assert.Equal(otherSku, rejected[4].GetProperty("sku").GetString());
        Assert.All(rejected.Values, r => Assert.False(string.IsNullOrWhiteSpace(r.GetProperty("reason").GetString())));

        // The good rows reach inventory (stock on top of the default warehouse's) and the catalog (price).
        await vendor.WaitForProductAsync(Id("AUD-SP-003"), p => p.GetProperty("available").GetInt32() == 420 + 5 && p.GetProperty("price").GetDecimal() == 120.00m);
        await vendor.WaitForProductAsync(Id("AUD-EB-002"), p => p.GetProperty("available").GetInt32() == 1500 + 2 && p.GetProperty("price").GetDecimal() == 88.00m);
    }

    [Fact]
    public async Task Values_echoed_in_the_report_are_neutralised_against_spreadsheet_formulas_and_capped()
    {
        var vendor = await _factory.DemoVendorAsync();
        var longSku = new string('X', 300);
        var csv = Csv(
            "\"=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",BER-1,1,1.00,0",
            "+SUM(A1:A9),BER-1,1,1.00,0",
            "-2+3,BER-1,1,1.00,0",
            "@cmd,BER-1,1,1.00,0",
            "AUD-EB-002,=1+2,1,1.00,0",
            $"{longSku},BER-1,1,1.00,0");

        var status = await vendor.UploadAndWaitAsync(csv);

        var rejected = RejectionsByLine(status);
        Assert.Equal("'=HYPERLINK(\"http://evil.example\",\"x\")", rejected[2].GetProperty("sku").GetString());
        Assert.Equal("'+SUM(A1:A9)", rejected[3].GetProperty("sku").GetString());
        Assert.Equal("'-2+3", rejected[4].GetProperty("sku").GetString());
        Assert.Equal("'@cmd", rejected[5].GetProperty("sku").GetString());
        Assert.Equal("'=1+2", rejected[6].GetProperty("warehouse").GetString());
        var capped = rejected[7].GetProperty("sku").GetString()!;
        Assert.True(capped.Length <= ReportText.MaxLength + 1 && capped.EndsWith('…'), capped);
        foreach (var row in rejected.Values)
        {
            foreach (var field in new[] { "sku", "warehouse", "reason" })
                Assert.False(row.GetProperty(field).GetString() is [ '=' or '+' or '-' or '@' or '\t' or '\r', ..], $"{field} of line {row.GetProperty("line")} starts a formula");
        }
    }

    [Theory]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("+1", "'+1")]
    [InlineData("-1", "'-1")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\t=1", "' =1")]
    [InlineData("\r=1", "' =1")]
    [InlineData("AUD-HP-001", "AUD-HP-001")]
    [InlineData("a\nb", "a b")]
    public void Report_text_neutralises_formula_starts_and_control_characters(string sent, string shown) =>
        Assert.Equal(shown, ReportText.Neutralize(sent));

    [Fact]
    public async Task An_oversized_upload_is_refused_with_413_and_nothing_of_it_is_applied()
    {
        using var factory = new ApiFactory(new Dictionary<string, string?> { ["Commerce:Vendors:MaxUploadBytes"] = "2048" });
        var vendor = await factory.DemoVendorAsync();
        var rows = Enumerable.Range(0, 100).Select(i => $"AUD-TT-004,W-{i:D3},{i},999.00,0").ToArray();
        var csv = Csv(rows);
        Assert.True(Encoding.UTF8.GetByteCount(csv) > 2048);

        var declared = await vendor.UploadCsvAsync(csv);
        var streamed = await vendor.PostAsync("/api/vendors/me/inventory", new UnknownLengthContent(csv, "text/csv"));
        var json = await vendor.PostAsync("/api/vendors/me/inventory",
            new UnknownLengthContent(JsonSerializer.Serialize(rows.Select(r => new { sku = "AUD-TT-004", warehouse = r, quantity = 1, price = 999, reorder_point = 0 })), "application/json"));

        foreach (var response in new[] { declared, streamed, json })
            await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        Assert.Equal(0, (await vendor.GetFromJsonAsync<JsonElement>("/api/vendors/me/inventory/uploads")).GetArrayLength());
        var spool = Path.Combine(factory.Services.GetRequiredService<IConfiguration>()["Commerce:DataDirectory"]!, "vendor-uploads");
        Assert.True(!Directory.Exists(spool) || Directory.GetFiles(spool).Length == 0);
        var product = await vendor.ProductAsync(Id("AUD-TT-004"));
        Assert.Equal((349.00m, 25), (product.GetProperty("price").GetDecimal(), product.GetProperty("available").GetInt32()));

        // Within the limit the same vendor is served.
        await UploadIdAsync(await vendor.UploadCsvAsync(Csv(rows[..3])));
    }

    [Theory]
    [InlineData("sku,warehouse,quantity,reorder_point\nAUD-HP-001,BER-1,1,0\n", "price")]
    [InlineData("sku;warehouse;quantity;price;reorder_point\nAUD-HP-001;BER-1;1;1.00;0\n", "sku")]
    [InlineData("", "header")]
    [InlineData("sku,warehouse,quantity,price,reorder_point,price\nAUD-HP-001,BER-1,1,1.00,0,2.00\n", "more than once")]
    [InlineData("sku,warehouse,quantity,price,reorder_point\n", "no rows")]
    public async Task A_file_without_its_columns_or_rows_is_refused_whole(string csv, string named)
    {
        var vendor = await _factory.DemoVendorAsync();

        var response = await vendor.UploadCsvAsync(csv);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest, "validation-failed");
        Assert.Contains(named, problem.GetProperty("errors").ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, (await vendor.GetFromJsonAsync<JsonElement>("/api/vendors/me/inventory/uploads")).GetArrayLength());
    }

    [Fact]
    public async Task A_json_array_is_checked_like_a_csv_file_and_anything_else_is_refused()
    {
        var vendor = await _factory.DemoVendorAsync();
        var rows = new object[]
        {
            new { sku = "CMP-MS-004", warehouse = "MUC", quantity = 7, price = 41.5, reorder_point = 2 },
            new { sku = "CMP-MS-004", warehouse = "HAM", quantity = "3", price = "41.50", reorderPoint = "1" },
            new { sku = "CMP-MS-004", warehouse = "FRA", price = 41.5, reorder_point = 2 },
            "not a row",
        };

        var id = await UploadIdAsync(await vendor.PostAsJsonAsync("/api/vendors/me/inventory", rows));
        var status = await vendor.WaitForUploadAsync(id);

        Assert.Equal(("json", 2, 2), (status.GetProperty("format").GetString(), status.GetProperty("accepted").GetInt32(), status.GetProperty("rejected").GetInt32()));
        var rejected = RejectionsByLine(status);
        Assert.Equal(RejectionCodes.MissingValue, rejected[3].GetProperty("code").GetString());
        Assert.Equal(RejectionCodes.MalformedRow, rejected[4].GetProperty("code").GetString());
        await vendor.WaitForProductAsync(Id("CMP-MS-004"), p => p.GetProperty("available").GetInt32() == 2500 + 10);

        await ProblemAsync(await vendor.PostAsync("/api/vendors/me/inventory", new StringContent("[{\"sku\":", Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, "malformed-json");
        await ProblemAsync(await vendor.PostAsync("/api/vendors/me/inventory", new StringContent("{\"sku\":\"x\"}", Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, "malformed-json");
        await ProblemAsync(await vendor.PostAsync("/api/vendors/me/inventory", new StringContent("[]", Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAsync(await vendor.PostAsync("/api/vendors/me/inventory", new StringContent("sku", Encoding.UTF8, "text/plain")),
            HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
    }

    [Fact]
    public async Task Only_vendors_upload_and_each_sees_only_its_own_uploads()
    {
        var vendor = await _factory.DemoVendorAsync();
        var (other, _, _) = await _factory.OtherVendorAsync();
        var shopper = await _factory.CreateShopperClientAsync();
        var anonymous = _factory.CreateClient();
        var csv = Csv("AUD-HP-001,BER-1,1,249.00,0");

        await ProblemAsync(await shopper.UploadCsvAsync(csv), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAsync(await anonymous.UploadCsvAsync(csv), HttpStatusCode.Unauthorized, "unauthorized");
        await ProblemAsync(await shopper.GetAsync("/api/vendors/me/reorder-alerts"), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAsync(await anonymous.GetAsync("/api/vendors/me/inventory/uploads"), HttpStatusCode.Unauthorized, "unauthorized");

        var id = await UploadIdAsync(await vendor.UploadCsvAsync(csv));
        await ProblemAsync(await other.GetAsync($"/api/vendors/me/inventory/uploads/{id}"), HttpStatusCode.NotFound, "not-found");
        await ProblemAsync(await shopper.GetAsync($"/api/vendors/me/inventory/uploads/{id}"), HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(0, (await other.GetFromJsonAsync<JsonElement>("/api/vendors/me/inventory/uploads")).GetArrayLength());
        var mine = await vendor.GetFromJsonAsync<JsonElement>("/api/vendors/me/inventory/uploads");
        Assert.Equal(id, Assert.Single(mine.EnumerateArray()).GetProperty("uploadId").GetGuid());
    }

    [Fact]
    public async Task Status_shows_progress_and_pages_through_the_rejected_rows()
    {
        using var factory = new ApiFactory(new Dictionary<string, string?> { ["Commerce:Vendors:ChunkRows"] = "10" });
        var vendor = await factory.DemoVendorAsync();
        var rows = Enumerable.Range(0, 400).Select(i => i % 16 == 0 ? $"NOPE-{i},W-{i:D3},1,1.00,0" : $"OUT-BTL-004,W-{i:D3},1,24.90,0").ToArray();

        var id = await UploadIdAsync(await vendor.UploadCsvAsync(Csv(rows)));
        var seen = new List<(string Status, int Progress, int RowsRead)>();
        var status = await vendor.WaitForUploadAsync(id, until: s =>
        {
            seen.Add((s.GetProperty("status").GetString()!, s.GetProperty("progress").GetInt32(), s.GetProperty("rowsRead").GetInt32()));
            return seen[^1].Status == "completed";
        });

        Assert.Equal((400, 375, 25), (status.GetProperty("rowsRead").GetInt32(), status.GetProperty("accepted").GetInt32(), status.GetProperty("rejected").GetInt32()));
        Assert.All(seen, s => Assert.Contains(s.Status, new[] { "queued", "processing", "completed" }));
        Assert.Equal(seen.Select(s => s.Progress).Order(), seen.Select(s => s.Progress));
        Assert.Equal(seen.Select(s => s.RowsRead).Order(), seen.Select(s => s.RowsRead));
        Assert.All(seen.Where(s => s.Status != "completed"), s => Assert.InRange(s.Progress, 0, 99));
        Assert.All(seen.Where(s => s.Status != "completed"), s => Assert.Equal(0, s.RowsRead % 10));

        var lines = new List<int>();
        var after = 0;
        for (var page = 0; page < 10; page++)
        {
            var next = await vendor.GetFromJsonAsync<JsonElement>($"/api/vendors/me/inventory/uploads/{id}?rejectionsLimit=10&rejectionsAfter={after}");
            var rejections = next.GetProperty("rejections");
            Assert.Equal(25, rejections.GetProperty("total").GetInt32());
            lines.AddRange(rejections.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("line").GetInt32()));
            if (rejections.GetProperty("nextAfter").ValueKind == JsonValueKind.Null)
                break;
            after = rejections.GetProperty("nextAfter").GetInt32();
        }

        Assert.Equal(Enumerable.Range(0, 400).Where(i => i % 16 == 0).Select(i => i + 2), lines);
        await ProblemAsync(await vendor.GetAsync($"/api/vendors/me/inventory/uploads/{id}?rejectionsLimit=0"), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAsync(await vendor.GetAsync($"/api/vendors/me/inventory/uploads/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "not-found");
    }
}

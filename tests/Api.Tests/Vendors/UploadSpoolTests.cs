using System.Text;
using GlobalCommerce.Api.Vendors;
using GlobalCommerce.Consumers.Vendors;
using GlobalCommerce.Platform;

namespace GlobalCommerce.Api.Tests.Vendors;

// The spool holds a vendor's prices and stock: owner-only, like the databases; read back a row at a time from any
// position, which is how a restarted upload resumes.
public sealed class UploadSpoolTests : IDisposable
{
    readonly string _data = Path.Combine(Path.GetTempPath(), "gc-spool-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_data))
            Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task Spooled_files_are_owner_only_and_a_reader_resumes_at_any_row()
    {
        if (OperatingSystem.IsWindows())
            return;
        var spool = new UploadSpool(new CommerceOptions { DataDirectory = _data });
        var id = Guid.NewGuid();
        var path = spool.PathOf(id, UploadFormat.Csv);
        var csv = "\uFEFFsku,warehouse,quantity,price,reorder_point\r\nA,W1,1,1.00,0\r\n\"B\",\"W\n2\",2,2.00,0\r\n\r\nC,W3,3,3.00,0";
        await using (var body = new MemoryStream(Encoding.UTF8.GetBytes(csv)))
            await spool.WriteCsvAsync(path, body, 1 << 20, CancellationToken.None);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(spool.Directory));

        var all = new List<(UploadRow Row, long Position, int Line)>();
        await using (var reader = await UploadRowReader.OpenAsync(path, UploadFormat.Csv, 0, 2, CancellationToken.None))
        {
            while (await reader.ReadAsync(CancellationToken.None) is { } row)
                all.Add((row, reader.Position, reader.Line));
        }

        Assert.Equal([(2, "A", "W1"), (3, "B", "W\n2"), (6, "C", "W3")], all.Select(r => (r.Row.Line, r.Row.Sku, r.Row.Warehouse)));
        await using var resumed = await UploadRowReader.OpenAsync(path, UploadFormat.Csv, all[0].Position, all[0].Line, CancellationToken.None);
        Assert.Equal((3, "B", "2"), (await resumed.ReadAsync(CancellationToken.None)) is { } b ? (b.Line, b.Sku, b.Quantity) : default);
        Assert.Equal((6, "C", "3.00"), (await resumed.ReadAsync(CancellationToken.None)) is { } c ? (c.Line, c.Sku, c.Price) : default);
        Assert.Null(await resumed.ReadAsync(CancellationToken.None));
    }
}

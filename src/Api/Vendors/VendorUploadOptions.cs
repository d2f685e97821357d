namespace GlobalCommerce.Api.Vendors;

// Commerce:Vendors.
public sealed class VendorUploadOptions
{
    public const string Section = "Commerce:Vendors";

    // The largest upload body accepted; a bigger one is refused with 413 and nothing of it is applied.
    public long MaxUploadBytes { get; set; } = 20 * 1024 * 1024;

    // Rows validated, produced and committed together: the unit of progress and of memory.
    public int ChunkRows { get; set; } = 1000;

    // How often the processor looks for uploads when none woke it (uploads left by a restart are found this way).
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    // An upload whose processing keeps failing (a damaged spool file, a database that refuses it) is marked failed after
    // this many attempts; each attempt resumes after the last committed chunk.
    public int MaxAttempts { get; set; } = 5;

    public static VendorUploadOptions From(IConfiguration configuration)
    {
        var options = new VendorUploadOptions();
        configuration.GetSection(Section).Bind(options);
        options.ChunkRows = Math.Clamp(options.ChunkRows, 1, 10_000);
        return options;
    }
}

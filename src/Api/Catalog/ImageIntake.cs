using System.Security.Cryptography;
using GlobalCommerce.Api.Problems;
using GlobalCommerce.Consumers.Catalog;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Processing;

namespace GlobalCommerce.Api.Catalog;

public sealed record ImageKind(string ContentType, string Extension)
{
    public static readonly ImageKind Jpeg = new("image/jpeg", "jpg");
    public static readonly ImageKind Png = new("image/png", "png");
    public static readonly ImageKind Webp = new("image/webp", "webp");

    public static readonly ImageKind[] All = [Jpeg, Png, Webp];

    public static ImageKind? Named(string? contentType) => All.FirstOrDefault(kind => kind.ContentType.Equals(contentType, StringComparison.OrdinalIgnoreCase));
}

public sealed record AcceptedImage(byte[] Bytes, ImageKind Kind, int Width, int Height, string Sha256);

// What an uploaded image goes through before anything is stored, cheapest check first:
// 1. its type from its first bytes (magic numbers); what the client declared only has to agree;
// 2. its dimensions from the header alone (Identify), so a small file that would decode to gigabytes (a decompression
//    bomb) is refused before a pixel is allocated;
// 3. its container walked to its end marker (PNG chunks to IEND, JPEG segments to EOI, WebP's RIFF length), since the
//    decoders fill a truncated file's missing rows rather than refuse it; then a full decode, which refuses corrupt ones;
// 4. a re-encode of the pixels alone, in the same format: EXIF (camera, GPS position), IPTC, XMP and PNG text chunks are
//    dropped, after the EXIF orientation is applied to the pixels so the picture still stands the right way up.
public static class ImageIntake
{
    // Only the three formats we accept are known to the decoder, whatever ImageSharp's defaults include.
    static readonly Configuration Decoders = new(new JpegConfigurationModule(), new PngConfigurationModule(), new WebpConfigurationModule())
    {
        MaxDegreeOfParallelism = 1,
    };

    // A 40-megapixel decode holds 160 MB: no more of them at once than there are cores.
    static readonly SemaphoreSlim Decoding = new(Environment.ProcessorCount);

    public static ImageKind? Sniff(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((byte[])[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
            return ImageKind.Png;
        if (bytes.StartsWith((byte[])[0xFF, 0xD8, 0xFF]))
            return ImageKind.Jpeg;
        if (bytes.Length >= 12 && bytes[..4].SequenceEqual("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8))
            return ImageKind.Webp;
        return null;
    }

    // declared: the media type the client sent with the bytes (the request's or the multipart part's), if it named one.
    public static async Task<(AcceptedImage? Image, IResult? Problem)> AcceptAsync(byte[] bytes, string? declared, ProductImageOptions options,
        CancellationToken cancellationToken)
    {
        var kind = Sniff(bytes);
        if (kind is null)
            return (null, Unsupported("The bytes are not a JPEG, PNG or WebP image."));
        if (ImageKind.Named(declared) is { } claimed && claimed != kind)
            return (null, Unsupported($"The body was sent as {claimed.ContentType} but its bytes are {kind.ContentType}."));

        if (!IsComplete(kind, bytes))
            return (null, Corrupt(kind));

        IImageInfo? info;
        try
        {
            info = Image.Identify(Decoders, bytes, out _);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            info = null;
        }

        if (info is null)
            return (null, Corrupt(kind));
        if (TooLarge(info.Width, info.Height, options) is { } tooLarge)
            return (null, tooLarge);

        await Decoding.WaitAsync(cancellationToken);
        try
        {
            return Reencode(bytes, kind, options);
        }
        finally
        {
            Decoding.Release();
        }
    }

    static (AcceptedImage?, IResult?) Reencode(byte[] bytes, ImageKind kind, ProductImageOptions options)
    {
        Image image;
        try
        {
            image = Image.Load(Decoders, bytes);
        }
        // The decoders' own exceptions name bad content; anything else a crafted file provokes in them is bad content too,
        // never a 500.
        catch (Exception exception) when (exception is not OperationCanceledException and not OutOfMemoryException)
        {
            return (null, Corrupt(kind));
        }

        using (image)
        {
            if (TooLarge(image.Width, image.Height, options) is { } tooLarge)
                return (null, tooLarge);
            while (image.Frames.Count > 1)
                image.Frames.RemoveFrame(1);
            image.Mutate(pixels => pixels.AutoOrient());
            image.Metadata.ExifProfile = null;
            image.Metadata.IptcProfile = null;
            image.Metadata.XmpProfile = null;
            image.Metadata.GetPngMetadata().TextData.Clear();
            foreach (var frame in image.Frames)
            {
                frame.Metadata.ExifProfile = null;
                frame.Metadata.XmpProfile = null;
            }

            using var output = new MemoryStream();
            image.Save(output, EncoderFor(kind));
            var stored = output.ToArray();
            return (new AcceptedImage(stored, kind, image.Width, image.Height, Convert.ToHexStringLower(SHA256.HashData(stored))), null);
        }
    }

    public static bool IsComplete(ImageKind kind, ReadOnlySpan<byte> bytes) =>
        kind == ImageKind.Png ? PngIsComplete(bytes) : kind == ImageKind.Jpeg ? JpegIsComplete(bytes) : WebpIsComplete(bytes);

    // Signature, then chunks (length, type, data, CRC) up to IEND, each within the file.
    static bool PngIsComplete(ReadOnlySpan<byte> bytes)
    {
        long at = 8;
        while (at + 12 <= bytes.Length)
        {
            var length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes[(int)at..]);
            var type = bytes.Slice((int)at + 4, 4);
            at += 12L + length;
            if (at > bytes.Length)
                return false;
            if (type.SequenceEqual("IEND"u8))
                return true;
        }

        return false;
    }

    // SOI, then marker segments; after a start of scan the entropy-coded data runs to the next marker (a 0xFF not
    // followed by a stuffed 0x00 or a restart marker); complete when EOI is reached.
    static bool JpegIsComplete(ReadOnlySpan<byte> bytes)
    {
        var at = 2;
        while (at + 1 < bytes.Length)
        {
            if (bytes[at] != 0xFF)
                return false;
            var marker = bytes[at + 1];
            if (marker == 0xD9)
                return true;
            if (marker == 0xFF)
            {
                at++;
                continue;
            }

            if (marker is 0x01 or >= 0xD0 and <= 0xD7)
            {
                at += 2;
                continue;
            }

            if (at + 4 > bytes.Length)
                return false;
            var length = (bytes[at + 2] << 8) | bytes[at + 3];
            if (length < 2)
                return false;
            at += 2 + length;
            if (at > bytes.Length)
                return false;
            if (marker != 0xDA)
                continue;
            while (at + 1 < bytes.Length && !(bytes[at] == 0xFF && bytes[at + 1] is not 0x00 and not (>= 0xD0 and <= 0xD7)))
                at++;
        }

        return false;
    }

    // "RIFF", the length of what follows, "WEBP": the file holds at least that much.
    static bool WebpIsComplete(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 12 && 8L + System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]) <= bytes.Length;

    static IImageEncoder EncoderFor(ImageKind kind) =>
        kind == ImageKind.Png ? new PngEncoder()
        : kind == ImageKind.Webp ? new WebpEncoder { Quality = 90 }
        : new JpegEncoder { Quality = 90 };

    static IResult? TooLarge(int width, int height, ProductImageOptions options) =>
        width > options.MaxSide || height > options.MaxSide || (long)width * height > options.MaxPixels
            ? Results.Problem(statusCode: StatusCodes.Status400BadRequest, type: ProblemTypes.ImageTooLarge, title: "Image dimensions too large",
                detail: $"The image is {width} x {height} pixels; at most {options.MaxSide} pixels a side and {options.MaxPixels} pixels in all are accepted.")
            : null;

    static IResult Corrupt(ImageKind kind) => Results.Problem(statusCode: StatusCodes.Status400BadRequest, type: ProblemTypes.InvalidImage,
        title: "The image could not be read", detail: $"The bytes start as {kind.ContentType} but do not decode: the file is corrupt or truncated.");

    static IResult Unsupported(string detail) => Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType,
        type: ProblemTypes.UnsupportedMediaType, title: "Send a JPEG, PNG or WebP image", detail: detail);
}

using System.Buffers.Binary;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace GlobalCommerce.Api.Tests.Catalog;

// Images made in code for each test: no binary fixtures in the repository.
public static class TestImages
{
    public static byte[] Png(int width = 64, int height = 48, bool withExif = false, bool noise = false) =>
        Encode(width, height, withExif, noise, new PngEncoder());

    public static byte[] Webp(int width = 64, int height = 48) =>
        Encode(width, height, withExif: false, noise: false, new SixLabors.ImageSharp.Formats.Webp.WebpEncoder());

    public static byte[] Jpeg(int width = 64, int height = 48, bool withExif = false) =>
        Encode(width, height, withExif, noise: false, new JpegEncoder { Quality = 90 });

    static byte[] Encode(int width, int height, bool withExif, bool noise, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using var image = new Image<Rgba32>(width, height, new Rgba32(200, 80, 40));
        if (noise)
        {
            var random = new Random(7);
            for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                image[x, y] = new Rgba32((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        }

        if (withExif)
        {
            var exif = new ExifProfile();
            exif.SetValue(ExifTag.Make, "Test camera");
            exif.SetValue(ExifTag.GPSLatitudeRef, "N");
            exif.SetValue(ExifTag.GPSLatitude, [new Rational(52, 1), new Rational(31, 1), new Rational(0, 1)]);
            image.Metadata.ExifProfile = exif;
        }

        using var output = new MemoryStream();
        image.Save(output, encoder);
        return output.ToArray();
    }

    public static IImageInfo Identify(byte[] bytes) => Image.Identify(bytes) ?? throw new InvalidOperationException("not an image");

    // A real PNG whose header claims width x height: Identify reads the claim, a decoder would allocate for it.
    public static byte[] PngClaiming(int width, int height)
    {
        var png = Png(8, 8);
        // Signature (8), IHDR length (4), "IHDR" (4), then width and height; the chunk's CRC follows its 13 data bytes.
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 17)));
        return png;
    }

    public static byte[] Text => Encoding.UTF8.GetBytes("just some words, not an image at all\n");

    static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var i = 0; i < 8; i++)
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }

        return ~crc;
    }
}

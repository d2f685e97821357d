using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace GlobalCommerce.Api.Http;

// The opaque cursor of a list read newest first by (time, id): the last item of a page. Items added while a client pages
// land on a new first page and never shift a later one.
public readonly record struct KeysetCursor(DateTimeOffset At, Guid Id)
{
    const string Version = "1";

    public override string ToString() => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
        string.Create(CultureInfo.InvariantCulture, $"{Version}|{At.UtcTicks}|{Id:N}")));

    public static bool TryParse(string text, out KeysetCursor cursor)
    {
        cursor = default;
        if (text.Length > 200)
            return false;
        string[] parts;
        try
        {
            parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text)).Split('|');
        }
        catch (FormatException)
        {
            return false;
        }

        if (parts is not [Version, var ticksText, var idText]
            || !long.TryParse(ticksText, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks
            || !Guid.TryParseExact(idText, "N", out var id))
            return false;
        cursor = new KeysetCursor(new DateTimeOffset(ticks, TimeSpan.Zero), id);
        return true;
    }
}

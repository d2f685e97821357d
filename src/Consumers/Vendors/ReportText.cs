using System.Text;

namespace GlobalCommerce.Consumers.Vendors;

// Text a vendor sent that the platform shows back (a SKU or warehouse in a rejection): vendors open reports in
// spreadsheets, which run a cell starting with = + - @ (or a tab or carriage return before one) as a formula. Such a
// value is prefixed with an apostrophe (OWASP's advice), control characters become spaces, and it is cut to MaxLength.
public static class ReportText
{
    public const int MaxLength = 64;

    public static string? Neutralize(string? value)
    {
        if (value is null)
            return null;
        var text = new StringBuilder(Math.Min(value.Length, MaxLength + 2));
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
            text.Append('\'');
        foreach (var rune in value.EnumerateRunes())
        {
            if (text.Length >= MaxLength)
            {
                text.Append('…');
                break;
            }

            text.Append(Rune.IsControl(rune) ? " " : rune.ToString());
        }

        return text.ToString();
    }
}

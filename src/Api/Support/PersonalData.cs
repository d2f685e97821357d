using GlobalCommerce.Contracts.Orders;

namespace GlobalCommerce.Api.Support;

// Support staff see enough to recognise a customer; admins see everything.
public static class PersonalData
{
    public static string? Email(string? email, bool full)
    {
        if (email is null || full)
            return email;
        var at = email.IndexOf('@', StringComparison.Ordinal);
        return at <= 0 ? "•••" : $"{email[0]}•••{email[at..]}";
    }

    public static string Address(ShippingAddress? address, bool full)
    {
        if (address is null)
            return "";
        if (full)
            return string.Join(", ", new[] { address.Name, address.Line1, address.Line2, $"{address.PostalCode} {address.City}", address.Country }
                .Where(part => !string.IsNullOrWhiteSpace(part)));
        var initials = string.Join(" ", address.Name.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(part => $"{part[0]}."));
        return $"{initials}, •••, {Prefix(address.PostalCode)}••• {address.City}, {address.Country}";
    }

    static string Prefix(string text) => text.Length <= 2 ? "" : text[..2];
}

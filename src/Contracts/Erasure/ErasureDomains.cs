namespace GlobalCommerce.Contracts.Erasure;

// The domains holding personal data; each confirms its part of an erasure under its name.
public static class ErasureDomains
{
    public const string Orders = "orders";
    public const string Payments = "payments";
    public const string Shipping = "shipping";
    public const string Notifications = "notifications";
    public const string Identity = "identity";

    // The marker written over erased personal fields.
    public const string Erased = "[erased]";

    public static readonly IReadOnlyList<string> All = [Orders, Payments, Shipping, Notifications, Identity];
}

namespace GlobalCommerce.Api.Identity;

public static class Roles
{
    public const string Shopper = "shopper";
    public const string Vendor = "vendor";
    public const string Support = "support";
    public const string Admin = "admin";

    public static readonly string[] All = [Shopper, Vendor, Support, Admin];
}

public static class Policies
{
    public const string Shopper = "shopper";
    public const string Staff = "staff";
    public const string OrderReader = "order-reader";
    public const string Vendor = "vendor";

    // Changes a product (its content, its images): the vendor owning it, or an admin; the endpoint checks the owner.
    public const string CatalogEditor = "catalog-editor";
}

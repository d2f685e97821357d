namespace GlobalCommerce.Consumers.Notifications;

public static class NotificationKinds
{
    public const string OrderConfirmation = "order-confirmation";
    public const string ShipmentNotice = "shipment-notice";
    public const string ReorderAlert = "reorder-alert";

    public const string Email = "email";
}

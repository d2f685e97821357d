namespace GlobalCommerce.Platform.Messaging;

// Command destinations. Names follow MassTransit's kebab-case endpoint naming of the handling consumer or saga,
// so ConfigureEndpoints creates exactly these queues.
public static class QueueNames
{
    public static readonly Uri OrderSaga = new("queue:order-state");
    public static readonly Uri ReserveInventory = new("queue:reserve-inventory");
    public static readonly Uri CommitInventory = new("queue:commit-inventory");
    public static readonly Uri ReleaseInventory = new("queue:release-inventory");
    public static readonly Uri AssessFraud = new("queue:assess-fraud");
    public static readonly Uri ChargePayment = new("queue:charge-payment");
    public static readonly Uri RefundPayment = new("queue:refund-payment");
    public static readonly Uri CreateShipment = new("queue:create-shipment");
    public static readonly Uri CancelShipment = new("queue:cancel-shipment");
}

namespace GlobalCommerce.Platform.Messaging;

// Command destinations. Names follow MassTransit's kebab-case endpoint naming of the handling consumer or saga,
// so ConfigureEndpoints creates exactly these queues. "bind=false": on RabbitMQ the sender only declares the
// endpoint's exchange and leaves declaring the (quorum) queue to its receiver, whose declaration a sender's default
// classic one would contradict. A command sent before its receiver ever started is therefore not queued: start the
// workers (which declare every queue) before the API takes orders. Other transports ignore it.
public static class QueueNames
{
    public static readonly Uri OrderSaga = new("queue:order-state?bind=false");
    public static readonly Uri ReserveInventory = new("queue:reserve-inventory?bind=false");
    public static readonly Uri CommitInventory = new("queue:commit-inventory?bind=false");
    public static readonly Uri ReleaseInventory = new("queue:release-inventory?bind=false");
    public static readonly Uri AssessFraud = new("queue:assess-fraud?bind=false");
    public static readonly Uri ChargePayment = new("queue:charge-payment?bind=false");
    public static readonly Uri RefundPayment = new("queue:refund-payment?bind=false");
    public static readonly Uri CheckPayment = new("queue:check-payment?bind=false");
    public static readonly Uri CreateShipment = new("queue:create-shipment?bind=false");
    public static readonly Uri CancelShipment = new("queue:cancel-shipment?bind=false");
    public static readonly Uri ErasureSaga = new("queue:erasure-state?bind=false");
    public static readonly Uri EraseOrderData = new("queue:erase-order-data?bind=false");
    public static readonly Uri ErasePaymentData = new("queue:erase-payment-data?bind=false");
    public static readonly Uri EraseShippingData = new("queue:erase-shipping-data?bind=false");
    public static readonly Uri EraseNotificationData = new("queue:erase-notification-data?bind=false");
    public static readonly Uri EraseAccount = new("queue:erase-account?bind=false");
}

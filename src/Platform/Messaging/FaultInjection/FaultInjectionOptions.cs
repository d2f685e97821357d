namespace GlobalCommerce.Platform.Messaging.FaultInjection;

// Switches that make a host misbehave on purpose, for the fault-survival tests (tests/EndToEnd.Tests/Faults). All off
// by default, and honoured only in the FaultInjection host environment: see FaultInjectionRegistration.
public sealed class FaultInjectionOptions
{
    public const string Section = "Commerce:Testing";

    public const string Environment = "FaultInjection";

    // Every command this host receives is sent to its queue a second time under a new MessageId, so the copy passes
    // the inbox and only the handler's own idempotency stands between it and a second reservation, charge or shipment.
    public bool DuplicateSends { get; set; }
}

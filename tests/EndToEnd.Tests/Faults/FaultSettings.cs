namespace GlobalCommerce.EndToEnd.Tests.Faults;

// The settings every fault scenario's hosts run with, whatever the platform's shape.
static class FaultSettings
{
    public static Dictionary<string, string> Common() => new()
    {
        // Fast enough that a lost reply is re-sent (and a hopeless step compensated) within seconds, not minutes.
        ["Commerce__Sweeper__Interval"] = "00:00:00.500",
        ["Commerce__Orders__StepTimeout"] = "00:00:05",
        ["Commerce__Payments__GatewayTimeout"] = "00:00:01",
        // A few shoppers place every order of a scenario: neither the velocity rule nor the per-customer order rate may
        // reject the burst.
        ["Commerce__Fraud__VelocityLimitPerHour"] = "1000000",
        ["Commerce__Orders__CustomerRateLimit__TokenLimit"] = "1000000",
        ["Commerce__Orders__CustomerRateLimit__TokensPerPeriod"] = "1000000",
        // Nobody reviews orders during a fault scenario: a basket held for manual fraud review would never end.
        ["Commerce__Orders__ReviewThreshold"] = "1",
        // A scenario's burst is in flight at once while a host is down or restarting; the adaptive admission limit would
        // turn part of it away (its own tests cover it). The fixed limit stays: the embedded default's 250, or none.
        ["Commerce__Orders__Admission__AdaptiveLimit"] = "false",
    };
}

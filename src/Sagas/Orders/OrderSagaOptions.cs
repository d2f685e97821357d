namespace GlobalCommerce.Sagas.Orders;

public sealed class OrderSagaOptions
{
    public const string Section = "Commerce:Orders";

    // How long the saga waits for a step's reply before the sweeper re-sends the command.
    public TimeSpan StepTimeout { get; set; } = TimeSpan.FromSeconds(30);

    // Per waiting state (by state name, e.g. StepTimeouts:AwaitingPayment), where one step needs another timeout than
    // StepTimeout: a gateway's answer is slower than a stock reservation.
    public Dictionary<string, TimeSpan> StepTimeouts { get; set; } = new(StringComparer.Ordinal);

    public TimeSpan TimeoutFor(string state) => StepTimeouts.TryGetValue(state, out var timeout) ? timeout : StepTimeout;

    // Sends of one step's command (the first included) before the saga compensates.
    public int MaxStepAttempts { get; set; } = 3;

    public double FraudThreshold { get; set; } = 0.2;

    // Scores in [ReviewThreshold, FraudThreshold) hold the order for a person to approve or reject (AwaitingFraudReview).
    // Set it to FraudThreshold or above to turn manual review off.
    public double ReviewThreshold { get; set; } = 0.15;

    // An order nobody reviewed in this time is rejected and its stock released.
    public TimeSpan FraudReviewTimeout { get; set; } = TimeSpan.FromHours(24);
}

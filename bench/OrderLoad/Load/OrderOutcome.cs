namespace GlobalCommerce.Bench.OrderLoad.Load;

// One finished order, timed by the platform's own clock: submittedAt is stamped by the API while it handles the POST,
// each history entry when the saga made the transition. No polling delay leaks into these numbers.
public sealed record OrderOutcome(Guid OrderId, Guid ProductId, string State, double PostMilliseconds, DateTimeOffset? SubmittedAt, DateTimeOffset? EndedAt,
    double[] StepMilliseconds, int Polls)
{
    // The saga's happy path; each step is the time from reaching one state to reaching the next.
    public static readonly string[] Path = ["Pending", "AwaitingFraudCheck", "AwaitingPayment", "Confirmed", "Completed"];

    public static readonly string[] StepNames =
        ["API → saga (SubmitOrder)", "reserve stock", "fraud check", "payment", "shipment → Completed"];

    public bool IsCompleted => State == "Completed";

    public double EndToEndMilliseconds => SubmittedAt is { } submitted && EndedAt is { } ended ? (ended - submitted).TotalMilliseconds : double.NaN;

    public static OrderOutcome From(Guid orderId, Guid productId, OrderStatus status, double postMilliseconds, int polls)
    {
        var reached = Path.Select(state => status.History.FirstOrDefault(t => t.To == state)?.At).ToArray();
        var steps = new double[Path.Length];
        DateTimeOffset? previous = status.SubmittedAt;
        for (var i = 0; i < Path.Length; i++)
        {
            steps[i] = previous is { } from && reached[i] is { } to ? (to - from).TotalMilliseconds : double.NaN;
            previous = reached[i];
        }

        var ended = status.History.LastOrDefault(t => OrderStatus.IsTerminal(t.To))?.At;
        return new OrderOutcome(orderId, productId, status.State, postMilliseconds, status.SubmittedAt, ended, steps, polls);
    }

    public const string UnfinishedState = "Unfinished";

    public static OrderOutcome Unfinished(Guid orderId, Guid productId, double postMilliseconds, int polls) =>
        new(orderId, productId, UnfinishedState, postMilliseconds, null, null, [.. Path.Select(_ => double.NaN)], polls);
}

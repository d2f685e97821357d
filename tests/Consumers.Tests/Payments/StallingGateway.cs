using GlobalCommerce.Consumers.Payments;

namespace GlobalCommerce.Consumers.Tests.Payments;

// The sandbox, except that a charge with StallToken hangs at the gateway until the test releases it (then succeeds):
// a gateway that stalls on demand, so a test can observe what the rest of the system does meanwhile.
sealed class StallingGateway(SandboxPaymentGateway sandbox) : IPaymentGateway
{
    public const string StallToken = "tok_stall";

    readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StallingGateway()
        : this(SandboxStorage.Open())
    {
    }

    public SandboxPaymentGateway Sandbox { get; } = sandbox;

    public Task Stalled => _entered.Task;

    public bool IsReleased => _released.Task.IsCompleted;

    public void Release() => _released.TrySetResult();

    public async Task<GatewayResult> ChargeAsync(GatewayCharge request, CancellationToken cancellationToken)
    {
        if (request.Token != StallToken)
            return await Sandbox.ChargeAsync(request, cancellationToken);

        _entered.TrySetResult();
        await _released.Task.WaitAsync(cancellationToken);
        return await Sandbox.ChargeAsync(request with { Token = "tok_visa" }, cancellationToken);
    }

    public Task<GatewayResult?> FindChargeAsync(string idempotencyKey, CancellationToken cancellationToken) =>
        Sandbox.FindChargeAsync(idempotencyKey, cancellationToken);

    public Task<GatewayResult> RefundAsync(string chargeReference, decimal amount, string idempotencyKey, CancellationToken cancellationToken) =>
        Sandbox.RefundAsync(chargeReference, amount, idempotencyKey, cancellationToken);
}

namespace GlobalCommerce.Consumers.Payments;

static class GatewayCall
{
    // A gateway that does not answer within the timeout raises TimeoutException; cancellation of the message
    // itself (host shutting down) still surfaces as OperationCanceledException.
    public static async Task<T> WithTimeoutAsync<T>(TimeSpan timeout, CancellationToken cancellationToken, Func<CancellationToken, Task<T>> call)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await call(deadline.Token);
        }
        catch (OperationCanceledException exception) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The payment gateway did not answer within {timeout}", exception);
        }
    }
}

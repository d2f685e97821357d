using GlobalCommerce.Bench.Probe;

// The runtime calls StartupHook.Initialize before Main in every process started with DOTNET_STARTUP_HOOKS naming this
// assembly; the contract requires the type in the global namespace.
#pragma warning disable CA1050
internal static class StartupHook
#pragma warning restore CA1050
{
    public static void Initialize() => HostProbe.Start();
}

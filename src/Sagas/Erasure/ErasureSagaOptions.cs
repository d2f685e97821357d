namespace GlobalCommerce.Sagas.Erasure;

public sealed class ErasureSagaOptions
{
    public const string Section = "Commerce:Erasure";

    // How long the saga waits for every domain's confirmation before re-sending the unconfirmed commands.
    public TimeSpan ConfirmationTimeout { get; set; } = TimeSpan.FromMinutes(2);

    // Sends of the commands (the first included) before the erasure is handed to support.
    public int MaxAttempts { get; set; } = 3;
}

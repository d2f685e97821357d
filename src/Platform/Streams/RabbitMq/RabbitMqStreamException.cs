namespace GlobalCommerce.Platform.Streams.RabbitMq;

// A stream operation RabbitMQ refused or could not finish: topology that does not match the configuration, events
// that were not confirmed, a reader that lost its channel. The message says what happened and what to do.
public sealed class RabbitMqStreamException : Exception
{
    public RabbitMqStreamException(string message)
        : base(message)
    {
    }

    public RabbitMqStreamException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public RabbitMqStreamException()
    {
    }
}

namespace GlobalCommerce.Platform.Streams;

// Produces T onto the stream it was registered for (StreamsBuilder.Produce<T>). Inside a domain transaction (a consumer
// behind the transactional outbox, or a scope that called IStreamTransaction.Enlist) the event is written to that
// database's stream_outbox and reaches the stream if and only if the transaction commits; the relay of that database
// produces it after the commit. Outside one it is produced at once and the call returns when the backend confirmed it.
public interface ITopicProducer<in T>
    where T : class
{
    Task Produce(T message, string partitionKey, CancellationToken cancellationToken = default);
}

// Scoped: the database whose transaction this scope's produced events join. The transactional outbox enlists its
// DbContext for every consumed message; an HTTP handler enlists the context it saves with.
public interface IStreamTransaction
{
    Microsoft.EntityFrameworkCore.DbContext? Enlisted { get; }

    void Enlist(Microsoft.EntityFrameworkCore.DbContext context);
}

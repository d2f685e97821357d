namespace GlobalCommerce.Sagas.Persistence;

public enum SagaLockMode
{
    // Version column only: a conflicting save throws DbUpdateConcurrencyException and the message is retried.
    Optimistic,

    // Version column plus SELECT ... FOR UPDATE on the saga row, so concurrent messages for one saga queue up
    // in the database instead of failing and retrying. PostgreSQL only; SQLite serialises writers anyway.
    Pessimistic,
}

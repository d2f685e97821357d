namespace GlobalCommerce.Platform.Persistence;

// Ids that become keys of growing tables (events, messages, orders, notifications): time-ordered as both of our databases
// sort Guids — SQLite as EF Core's upper-case text, PostgreSQL as uuid bytes — so new rows go to the end of each index
// that leads with them instead of a random page. MassTransit's NewId.NextGuid() sorts by time only as SQL Server compares
// Guids; elsewhere consecutive ids scatter, and every page a transaction dirties is written to the database's log at
// commit (StreamEventIdTests, TimeOrderedIdTests). Not for secrets: like NewId, these ids are predictable.
public static class TimeOrderedId
{
    public static Guid New() => MassTransit.NewId.NextSequentialGuid();
}

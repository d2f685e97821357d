using GlobalCommerce.Platform.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Sagas.Tests.Persistence;

// A minimal saga whose every event changes the row: a lost update shows up as a count below the number sent.
public class CounterState : SagaStateMachineInstance, ISagaVersion
{
    public Guid CorrelationId { get; set; }

    public int Version { get; set; }

    public string CurrentState { get; set; } = null!;

    public int Count { get; set; }
}

public sealed record StartCounter(Guid CounterId);

public sealed record IncrementCounter(Guid CounterId, int Sequence);

public sealed class CounterStateMachine : MassTransitStateMachine<CounterState>
{
    public CounterStateMachine()
    {
        InstanceState(s => s.CurrentState);
        Event(() => Start, e => e.CorrelateById(c => c.Message.CounterId));
        Event(() => Increment, e => e.CorrelateById(c => c.Message.CounterId));

        Initially(When(Start).TransitionTo(Counting));
        During(Counting, When(Increment).Then(context => context.Saga.Count++), Ignore(Start));
    }

    public State Counting { get; private set; } = null!;

    public Event<StartCounter> Start { get; private set; } = null!;

    public Event<IncrementCounter> Increment { get; private set; } = null!;
}

public sealed class CounterDbContext(DbContextOptions<CounterDbContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var counter = modelBuilder.Entity<CounterState>();
        counter.ToTable("counters");
        counter.HasKey(c => c.CorrelationId);
        counter.Property(c => c.Version).IsConcurrencyToken();
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.ApplyProviderConventions(Database);
}

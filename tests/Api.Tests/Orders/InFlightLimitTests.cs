using GlobalCommerce.Api.Orders;

namespace GlobalCommerce.Api.Tests.Orders;

public sealed class InFlightLimitTests
{
    static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void It_moves_only_while_submissions_are_refused_at_most_once_a_second_and_stays_within_its_bounds()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var limit = new InFlightLimit(new OrderAdmissionOptions { MinInFlight = 10, MaxInFlight = 30, TargetLatency = Second }, clock);
        Assert.Equal(10, limit.Current);

        // Nothing refused: nothing to measure, nothing moves.
        clock.Advance(2 * Second);
        Assert.False(limit.WantsWait);
        limit.Observe(TimeSpan.Zero);
        Assert.Equal(10, limit.Current);

        // Refused, orders waiting little: it grows, once per second however often it is told.
        limit.Refused();
        Assert.True(limit.WantsWait);
        limit.Observe(TimeSpan.FromMilliseconds(100));
        Assert.Equal(13, limit.Current);
        limit.Refused();
        Assert.False(limit.WantsWait);
        limit.Observe(TimeSpan.FromMilliseconds(100));
        Assert.Equal(13, limit.Current);
        for (var i = 0; i < 10; i++)
        {
            clock.Advance(Second);
            limit.Refused();
            limit.Observe(TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal(30, limit.Current);

        // Refused with the median order waiting past half the target latency: it shrinks, down to the floor.
        for (var i = 0; i < 10; i++)
        {
            clock.Advance(Second);
            limit.Refused();
            limit.Observe(TimeSpan.FromMilliseconds(600));
        }

        Assert.Equal(10, limit.Current);
    }

    [Fact]
    public void Turned_off_it_is_the_configured_maximum()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var limit = new InFlightLimit(new OrderAdmissionOptions { AdaptiveLimit = false, MinInFlight = 10, MaxInFlight = 250 }, clock);
        limit.Refused();
        clock.Advance(2 * Second);
        Assert.False(limit.WantsWait);
        limit.Observe(TimeSpan.FromMinutes(1));
        Assert.Equal(250, limit.Current);
    }

    sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;

        public void Advance(TimeSpan by) => now += by;
    }
}

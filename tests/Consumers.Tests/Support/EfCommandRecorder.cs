using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace GlobalCommerce.Consumers.Tests.Support;

// The SQL EF Core executed, from EF's DiagnosticListener events. Start it before the host under test: a context that
// found nobody listening does not look again for a second (EF Core's logging cache time), and the contexts the host
// creates its databases with are the pooled ones its handlers use next. Tests run in parallel in one process, so the
// commands are read by connection string (TextsOn: the test's own database prefix or data folder).
public sealed class EfCommandRecorder : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    readonly ConcurrentQueue<(string Connection, string Text)> _commands = new();
    readonly List<IDisposable> _subscriptions = [];
    readonly IDisposable _all;

    EfCommandRecorder() => _all = DiagnosticListener.AllListeners.Subscribe(this);

    public static EfCommandRecorder Start() => new();

    public IReadOnlyList<string> TextsOn(string marker) =>
        [.. _commands.Where(c => c.Connection.Contains(marker, StringComparison.Ordinal)).Select(c => c.Text)];

    void IObserver<DiagnosticListener>.OnNext(DiagnosticListener listener)
    {
        if (listener.Name != DbLoggerCategory.Name)
            return;
        lock (_subscriptions)
            _subscriptions.Add(listener.Subscribe(this));
    }

    void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Key == RelationalEventId.CommandExecuted.Name && value.Value is CommandExecutedEventData executed)
            _commands.Enqueue((executed.Command.Connection?.ConnectionString ?? "", executed.Command.CommandText));
    }

    void IObserver<DiagnosticListener>.OnCompleted()
    {
    }

    void IObserver<DiagnosticListener>.OnError(Exception error)
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnCompleted()
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnError(Exception error)
    {
    }

    public void Dispose()
    {
        _all.Dispose();
        lock (_subscriptions)
        {
            foreach (var subscription in _subscriptions)
                subscription.Dispose();
        }
    }
}

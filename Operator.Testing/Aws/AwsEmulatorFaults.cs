using System.Collections.Concurrent;

namespace Operator.Testing.Aws;

/// <summary>
/// Fault injection for <see cref="AwsEmulator"/>: fail the next N calls of an operation with an error code and
/// HTTP status (before or after the operation took effect — the latter models a lost response), add latency per
/// operation, hold the next call of an operation until the test releases it, or make the endpoint refuse (abort every
/// connection). Operation "*" matches every operation.
/// Thread-safe.
/// </summary>
internal sealed class AwsEmulatorFaults
{
    private readonly object _lock = new();
    private readonly List<Rule> _rules = [];
    private readonly List<Hold> _holds = [];
    private readonly ConcurrentDictionary<string, TimeSpan> _latency = new(StringComparer.Ordinal);

    /// <summary>While true, every request's connection is aborted without a response.</summary>
    public bool RefuseConnections { get; set; }

    public void FailNext(string operation, int count, string errorCode, int statusCode, string? message = null, bool afterExecution = false)
    {
        lock (_lock)
        {
            _rules.Add(new Rule(operation, errorCode, statusCode, message ?? $"Injected {errorCode}.", afterExecution) { Remaining = count });
        }
    }

    public void SetLatency(string operation, TimeSpan latency) => _latency[operation] = latency;

    /// <summary>
    /// Holds the next call of <paramref name="operation"/> before it executes (after its latency), until the returned
    /// hold is released: a test can act at a known point of a client's work. <see cref="Hold.Reached"/> completes when
    /// the call arrives. Only the next call is held; a hold released before the call arrives lets it through.
    /// </summary>
    public Hold HoldNext(string operation)
    {
        var hold = new Hold(operation);
        lock (_lock)
        {
            _holds.Add(hold);
        }
        return hold;
    }

    internal Task WaitIfHeldAsync(string operation, CancellationToken cancellationToken)
    {
        Hold? hold;
        lock (_lock)
        {
            hold = _holds.FirstOrDefault(h => h.Operation == operation || h.Operation == "*");
            if (hold is not null)
            {
                _holds.Remove(hold);
            }
        }
        if (hold is null)
        {
            return Task.CompletedTask;
        }
        hold.Arrive();
        return hold.Released.WaitAsync(cancellationToken);
    }

    /// <summary>One held call: see <see cref="HoldNext"/>.</summary>
    public sealed class Hold(string operation)
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Operation { get; } = operation;

        public Task Reached => _reached.Task;

        internal Task Released => _released.Task;

        public void Release() => _released.TrySetResult();

        internal void Arrive() => _reached.TrySetResult();
    }

    public void Clear()
    {
        lock (_lock)
        {
            _rules.Clear();
            foreach (var hold in _holds)
            {
                hold.Release();
            }
            _holds.Clear();
        }

        _latency.Clear();
        RefuseConnections = false;
    }

    internal TimeSpan LatencyFor(string operation) =>
        _latency.GetValueOrDefault(operation) + _latency.GetValueOrDefault("*");

    internal InjectedFault? Take(string operation, bool afterExecution)
    {
        lock (_lock)
        {
            var rule = _rules.FirstOrDefault(r => r.Remaining > 0 && r.AfterExecution == afterExecution && (r.Operation == operation || r.Operation == "*"));
            if (rule is null)
            {
                return null;
            }

            rule.Remaining--;
            return new InjectedFault(rule.ErrorCode, rule.StatusCode, rule.Message);
        }
    }

    internal sealed record InjectedFault(string ErrorCode, int StatusCode, string Message);

    private sealed record Rule(string Operation, string ErrorCode, int StatusCode, string Message, bool AfterExecution)
    {
        public int Remaining { get; set; }
    }
}

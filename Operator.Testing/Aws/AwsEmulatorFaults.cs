using System.Collections.Concurrent;

namespace Operator.Testing.Aws;

/// <summary>
/// Fault injection for <see cref="AwsEmulator"/>: fail the next N calls of an operation with an error code and
/// HTTP status (before or after the operation took effect — the latter models a lost response), add latency per
/// operation, or make the endpoint refuse (abort every connection). Operation "*" matches every operation.
/// Thread-safe.
/// </summary>
internal sealed class AwsEmulatorFaults
{
    private readonly object _lock = new();
    private readonly List<Rule> _rules = [];
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

    public void Clear()
    {
        lock (_lock)
        {
            _rules.Clear();
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

namespace Operator.Testing.Aws;

/// <summary>Thread-safe record of every request the emulator received, with counts per operation and per account.</summary>
internal sealed class AwsEmulatorCallLog
{
    private readonly object _lock = new();
    private readonly List<AwsEmulatorCall> _calls = [];

    public void Add(AwsEmulatorCall call)
    {
        lock (_lock)
        {
            _calls.Add(call);
        }
    }

    public IReadOnlyList<AwsEmulatorCall> Snapshot()
    {
        lock (_lock)
        {
            return [.. _calls];
        }
    }

    /// <summary>Requests for <paramref name="operation"/>, optionally only those ending with <paramref name="errorCode"/>.</summary>
    public int Count(string operation, string? errorCode = null, string? accountId = null) =>
        Snapshot().Count(c => c.Operation == operation && (errorCode is null || c.ErrorCode == errorCode) && (accountId is null || c.AccountId == accountId));

    public int CountErrors(string errorCode) => Snapshot().Count(c => c.ErrorCode == errorCode);

    public IReadOnlyDictionary<string, int> CountsByOperation() =>
        Snapshot().GroupBy(c => c.Operation).ToDictionary(g => g.Key, g => g.Count());

    public IReadOnlyDictionary<string, int> CountsByAccount() =>
        Snapshot().Where(c => c.AccountId is not null).GroupBy(c => c.AccountId!).ToDictionary(g => g.Key, g => g.Count());

    public void Clear()
    {
        lock (_lock)
        {
            _calls.Clear();
        }
    }
}

using System.Collections.Concurrent;

namespace Operator.Core.Aws.Resilience;

/// <summary>
/// One token bucket per (service, account, region, read/write), created on first use and shared by every caller
/// for the life of the process — this is what keeps N workers and the drift resync under one AWS quota.
/// Register as a singleton.
/// </summary>
internal sealed class AwsRateLimiterRegistry(AwsResilienceOptions options, TimeProvider time) : IDisposable
{
    private readonly ConcurrentDictionary<AwsRateLimitKey, Lazy<AwsTokenBucket>> _buckets = new();

    public AwsTokenBucket Get(AwsRateLimitKey key) =>
        _buckets.GetOrAdd(key, k => new Lazy<AwsTokenBucket>(() =>
            new AwsTokenBucket(k.Kind == AwsCallKind.Read ? options.ReadBucket : options.WriteBucket, time))).Value;

    public int Count => _buckets.Count;

    public void Dispose()
    {
        foreach (var bucket in _buckets.Values)
        {
            if (bucket.IsValueCreated)
            {
                bucket.Value.Dispose();
            }
        }
    }
}

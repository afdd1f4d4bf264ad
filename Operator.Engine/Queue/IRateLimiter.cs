namespace Operator.Core.Queue;

/// <summary>
/// Decides how long an item must wait before it is retried (client-go <c>workqueue.TypedRateLimiter</c>).
/// Contract: <see cref="When"/> records one more failure of <paramref name="item"/> and returns the delay to apply
/// now; <see cref="Forget"/> clears the item's history (call it when the item succeeded); <see cref="NumRequeues"/>
/// reports how many failures are currently recorded. Implementations are safe for concurrent use by many workers.
/// </summary>
internal interface IRateLimiter<in T>
    where T : notnull
{
    /// <summary>Records a failure of <paramref name="item"/> and returns how long to wait before retrying it.</summary>
    TimeSpan When(T item);

    /// <summary>Stops tracking <paramref name="item"/>: its next failure starts again from the first delay.</summary>
    void Forget(T item);

    /// <summary>How many failures of <paramref name="item"/> are currently recorded.</summary>
    int NumRequeues(T item);
}

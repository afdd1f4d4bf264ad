namespace Operator.Core.Queue;

/// <summary>Configuration of a <see cref="WorkQueue{T}"/>.</summary>
/// <param name="Name">The queue's name: the <c>name</c> tag of every workqueue_* metric (the controller's name).</param>
internal sealed record WorkQueueOptions(string Name)
{
    /// <summary>Parameters of the default rate limiter, used when no <see cref="IRateLimiter{T}"/> is passed.</summary>
    public RateLimiterOptions RateLimiting { get; init; } = new();
}

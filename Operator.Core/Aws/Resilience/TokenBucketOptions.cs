namespace Operator.Core.Aws.Resilience;

/// <summary>A token bucket: at most <see cref="Capacity"/> requests at once (burst), refilled at <see cref="RefillPerSecond"/>.</summary>
public sealed record TokenBucketOptions(int Capacity, double RefillPerSecond)
{
    public void Validate()
    {
        if (Capacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Capacity), Capacity, "A token bucket holds at least one token.");
        }

        if (!(RefillPerSecond > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(RefillPerSecond), RefillPerSecond, "The refill rate must be positive.");
        }
    }
}

namespace Operator.Core.Clusters;

/// <summary>How often and how widely the drift scanner reads ECS.</summary>
internal sealed record DriftScannerOptions
{
    /// <summary>One scan of every ECSCluster per period (the operator's resync period).</summary>
    public TimeSpan Period { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Names per DescribeClusters call; 100 is the ECS maximum.</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>An unchanged cluster's <c>status.lastSyncTime</c> is refreshed when older than this.</summary>
    public TimeSpan LastSyncRefresh { get; init; } = TimeSpan.FromHours(1);
}

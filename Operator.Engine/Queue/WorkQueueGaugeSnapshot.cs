namespace Operator.Core.Queue;

/// <summary>One queue's gauge values at collection time.</summary>
internal readonly record struct WorkQueueGaugeSnapshot(long Depth, double UnfinishedWorkSeconds, double LongestRunningProcessorSeconds);

using Operator.Core.Aws.Ecs;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Core.Clusters;

/// <summary>ECS reported a failure other than MISSING for one name of a batched DescribeClusters; retryable.</summary>
internal sealed class ClusterLookupException(string name, Ecs.Failure failure)
    : EcsException(failure.Reason ?? "Failure", $"DescribeClusters failed for {name}: {failure.Reason} {failure.Detail}".TrimEnd(),
        System.Net.HttpStatusCode.OK, null, retryable: true);

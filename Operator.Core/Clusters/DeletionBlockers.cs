using Microsoft.Extensions.Logging;
using Operator.Core.Aws.Ecs;
using Operator.Core.Text;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Core.Clusters;

/// <summary>
/// The DeletionBlocked message of a cluster ECS refuses to delete: the counts DescribeClusters gave, and the names of
/// up to <see cref="MaxNamed"/> services, tasks and container instances of each kind that blocks (ListServices,
/// ListTasks, ListContainerInstances: the optional actions of iam/ecs-policy-extended.json). A kind is listed when
/// ECS named it in its refusal or its count is not zero, with one call of at most <see cref="MaxNamed"/> results.
/// Never throws for a list call: on AccessDenied the kind falls back to its count with a note naming the missing
/// action, on any other failure with a note saying the listing failed. Only cancellation of the caller's token
/// propagates. Names are the last segment of the ARN (what the guide's aws CLI commands accept), cleaned as foreign text.
/// The listing (<see cref="ListAsync"/>, the executor's) and the message (<see cref="Message"/>, pure) are apart, so the
/// decision that blocks a deletion stays free of I/O.
/// </summary>
internal static class DeletionBlockers
{
    public const int MaxNamed = 10;

    /// <summary>
    /// What keeps ECS from deleting <paramref name="cluster"/>, which it refused with <paramref name="refusal"/>: one
    /// part per blocking kind, in the order services, tasks, container instances, for <see cref="Message"/>.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ListAsync(
        IEcsClient ecs, Ecs.Cluster cluster, EcsException refusal, ILogger logger, CancellationToken ct)
    {
        var target = cluster.ClusterArn ?? cluster.ClusterName ?? "";
        var parts = new List<string>();
        if (refusal is ClusterContainsServicesException || cluster.ActiveServicesCount > 0)
        {
            parts.Add(await ListAsync("services", "ecs:ListServices", cluster.ActiveServicesCount, async () =>
            {
                var page = await ecs.ListServicesAsync(new Ecs.ListServicesRequest { Cluster = target, MaxResults = MaxNamed }, ct).ConfigureAwait(false);
                return (page.ServiceArns, page.NextToken);
            }, logger, ct).ConfigureAwait(false));
        }
        if (refusal is ClusterContainsTasksException || cluster.RunningTasksCount + cluster.PendingTasksCount > 0)
        {
            // Pending tasks have desired status RUNNING too, so the default listing covers both.
            parts.Add(await ListAsync("tasks", "ecs:ListTasks", cluster.RunningTasksCount + cluster.PendingTasksCount, async () =>
            {
                var page = await ecs.ListTasksAsync(new Ecs.ListTasksRequest { Cluster = target, MaxResults = MaxNamed }, ct).ConfigureAwait(false);
                return (page.TaskArns, page.NextToken);
            }, logger, ct).ConfigureAwait(false));
        }
        if (refusal is ClusterContainsContainerInstancesException || cluster.RegisteredContainerInstancesCount > 0)
        {
            parts.Add(await ListAsync("container instances", "ecs:ListContainerInstances", cluster.RegisteredContainerInstancesCount, async () =>
            {
                var page = await ecs.ListContainerInstancesAsync(new Ecs.ListContainerInstancesRequest { Cluster = target, MaxResults = MaxNamed }, ct)
                    .ConfigureAwait(false);
                return (page.ContainerInstanceArns, page.NextToken);
            }, logger, ct).ConfigureAwait(false));
        }
        return parts;
    }

    /// <summary>The DeletionBlocked message: the counts of <paramref name="cluster"/>, then <paramref name="parts"/>
    /// (<see cref="ListAsync"/>), then when the deletion is tried again.</summary>
    public static string Message(Ecs.Cluster cluster, IReadOnlyList<string> parts, TimeSpan retry)
    {
        var counts = $"ECS refuses to delete cluster {cluster.ClusterName ?? ""} while it has {Count(cluster.ActiveServicesCount, "active service")}, "
            + $"{Count(cluster.RunningTasksCount, "running task")}, {Count(cluster.PendingTasksCount, "pending task")} and "
            + $"{Count(cluster.RegisteredContainerInstancesCount, "registered container instance")}";
        var detail = parts.Count == 0 ? "" : "; " + string.Join("; ", parts);
        return $"{counts}{detail}; retrying every {retry.TotalSeconds:0}s";
    }

    private static async Task<string> ListAsync(
        string kind, string action, int count, Func<Task<(IReadOnlyList<string>? Arns, string? NextToken)>> list, ILogger logger, CancellationToken ct)
    {
        try
        {
            var (arns, next) = await list().ConfigureAwait(false);
            var names = (arns ?? []).Take(MaxNamed).Select(ShortName).Order(StringComparer.Ordinal).ToList();
            if (names.Count == 0)
            {
                return $"{kind}: none listed by ECS";
            }
            var more = count > names.Count ? $" and {count - names.Count} more" : next is not null ? " and more" : "";
            return $"{kind}: {string.Join(", ", names)}{more}";
        }
        catch (AccessDeniedException)
        {
            return $"{kind} not named ({action} is not allowed; iam/ecs-policy-extended.json grants it)";
        }
        catch (Exception e) when (!(e is OperationCanceledException && ct.IsCancellationRequested))
        {
            var why = ForeignText.Clean(e.Message, 200);
            logger.LogDebug("Listing the {Kind} that block a deletion failed: {Error}", kind, why);
            return $"{kind} not named (listing them failed: {why})";
        }
    }

    private static string Count(int n, string thing) => n == 1 ? $"1 {thing}" : $"{n} {thing}s";

    private static string ShortName(string arn) => ForeignText.Clean(arn[(arn.LastIndexOf('/') + 1)..], 255);
}

namespace Operator.Core.Aws.Ecs.Model;

/// <summary>The <c>configuration</c> object of a cluster (only the execute-command part is modelled).</summary>
public sealed record ClusterConfiguration
{
    public ExecuteCommandConfiguration? ExecuteCommandConfiguration { get; init; }
}

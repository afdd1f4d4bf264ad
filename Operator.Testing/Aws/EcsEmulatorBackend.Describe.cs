namespace Operator.Testing.Aws;

// The read calls of the workload the user guide's troubleshooting implies: describe-tasks, describe-services and
// describe-container-instances. Each takes up to 100 references (ARNs or IDs/names) of one cluster and answers the
// ones it knows, in the order asked, with a MISSING failure for each other one, as ECS does. A stopped task, an
// INACTIVE service and a deregistered instance are still described (ECS keeps them for a while).
internal sealed partial class EcsEmulatorBackend
{
    public DescribeTasksResponse DescribeTasks(string account, string region, DescribeTasksRequest request)
    {
        var references = References(request.Tasks, "tasks");
        lock (_lock)
        {
            var cluster = Live(account, region, request.Cluster);
            var found = new List<EcsTask>();
            var failures = new List<Operator.Core.Aws.Ecs.Model.Failure>();
            foreach (var reference in references)
            {
                var id = reference.Split('/').Last();
                if (cluster.Tasks.FirstOrDefault(t => t.Id == id) is { } task)
                {
                    found.Add(Render(cluster, task));
                }
                else
                {
                    failures.Add(new(reference.StartsWith("arn:", StringComparison.Ordinal) ? reference : $"arn:aws:ecs:{region}:{account}:task/{cluster.Name}/{id}", "MISSING"));
                }
            }
            return new DescribeTasksResponse { Tasks = found, Failures = failures };
        }
    }

    public DescribeServicesResponse DescribeServices(string account, string region, DescribeServicesRequest request)
    {
        var references = References(request.Services, "services", max: 10);
        lock (_lock)
        {
            var cluster = Live(account, region, request.Cluster);
            var found = new List<EcsService>();
            var failures = new List<Operator.Core.Aws.Ecs.Model.Failure>();
            foreach (var reference in references)
            {
                if (FindService(cluster, reference) is { } service)
                {
                    found.Add(Render(cluster, service));
                }
                else
                {
                    failures.Add(new(reference.StartsWith("arn:", StringComparison.Ordinal) ? reference : $"arn:aws:ecs:{region}:{account}:service/{cluster.Name}/{reference}", "MISSING"));
                }
            }
            return new DescribeServicesResponse { Services = found, Failures = failures };
        }
    }

    public DescribeContainerInstancesResponse DescribeContainerInstances(string account, string region, DescribeContainerInstancesRequest request)
    {
        var references = References(request.ContainerInstances, "containerInstances");
        lock (_lock)
        {
            var cluster = Live(account, region, request.Cluster);
            var found = new List<EcsContainerInstance>();
            var failures = new List<Operator.Core.Aws.Ecs.Model.Failure>();
            foreach (var reference in references)
            {
                var id = reference.Split('/').Last();
                if (cluster.Instances.FirstOrDefault(i => i.Id == id) is { } instance)
                {
                    found.Add(Render(instance));
                }
                else
                {
                    failures.Add(new(reference.StartsWith("arn:", StringComparison.Ordinal) ? reference : $"arn:aws:ecs:{region}:{account}:container-instance/{cluster.Name}/{id}", "MISSING"));
                }
            }
            return new DescribeContainerInstancesResponse { ContainerInstances = found, Failures = failures };
        }
    }

    private static IReadOnlyList<string> References(IReadOnlyList<string>? references, string field, int max = 100)
    {
        if (references is not { Count: > 0 })
        {
            throw AwsEmulatorError.InvalidParameter($"{field} can not be empty.");
        }
        return references.Count <= max ? references : throw AwsEmulatorError.InvalidParameter($"{field} can have at most {max} items.");
    }
}

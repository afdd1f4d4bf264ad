using Microsoft.Extensions.Logging.Abstractions;
using Operator.Tests.Aws;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Tests.Clusters;

/// <summary>
/// <see cref="DeletionBlockers"/>: the listing, over the wire against the ECS emulator with real SigV4, names up to
/// ten of each blocking kind and never fails for a list call; the message (pure) puts the counts first.
/// </summary>
[TestFixture]
public sealed class DeletionBlockersTests
{
    private EcsBackend _backend = null!;
    private IEcsClient _ecs = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _backend = await EcsBackend.StartAsync(EcsBackend.Emulator);
        _ecs = _backend.CreateClient();
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _backend.DisposeAsync();

    [SetUp]
    public void Reset() => _backend.AwsEmulator!.Reset();

    private async Task<Ecs.Cluster> BusyAsync(int services = 0, int running = 0, int pending = 0, int instances = 0)
    {
        await _ecs.CreateClusterAsync(new Ecs.CreateClusterRequest { ClusterName = "busy" });
        _backend.AwsEmulator!.Ecs.SetWorkload(_backend.AccountId, EcsBackend.Region, "busy", services, running, pending, instances);
        return (await ClusterExecutor.DescribeAsync(_ecs, "busy", CancellationToken.None))!;
    }

    private Task<IReadOnlyList<string>> ListAsync(Ecs.Cluster cluster, EcsException refusal) =>
        DeletionBlockers.ListAsync(_ecs, cluster, refusal, NullLogger.Instance, CancellationToken.None);

    private static ClusterContainsServicesException ServicesRefusal() => new("has services", HttpStatusCode.BadRequest, null);

    [Test]
    public async Task Each_blocking_kind_is_named_up_to_ten()
    {
        var cluster = await BusyAsync(services: 12, running: 2, pending: 1, instances: 1);
        var parts = await ListAsync(cluster, ServicesRefusal());

        parts.Should().HaveCount(3);
        parts[0].Should().MatchRegex(@"^services: (service-\d+, ){9}service-\d+ and 2 more$");
        parts[1].Should().StartWith("tasks: ").And.NotContain("arn:", "names are the IDs the aws CLI takes");
        parts[2].Should().MatchRegex("^container instances: [0-9a-f-]+$");
    }

    [Test]
    public async Task A_kind_ECS_named_in_its_refusal_is_listed_even_at_a_count_of_zero()
    {
        var cluster = await BusyAsync();
        (await ListAsync(cluster, ServicesRefusal())).Should().Equal("services: none listed by ECS");
        (await ListAsync(cluster, new ClusterContainsTasksException("x", HttpStatusCode.BadRequest, null))).Should().Equal("tasks: none listed by ECS");
    }

    [Test]
    public async Task A_denied_list_call_falls_back_to_the_count_with_the_missing_action()
    {
        var cluster = await BusyAsync(services: 1, running: 1);
        // A key of its own, so the denial stays in this test.
        _backend.AwsEmulator!.Credentials.Add("AKIDLISTTASKSDENIED1", "denied-secret", _backend.AccountId);
        _backend.AwsEmulator.Credentials.Deny("AKIDLISTTASKSDENIED1", "ecs:ListTasks");
        var denied = _backend.CreateClient(new Amazon.Runtime.BasicAWSCredentials("AKIDLISTTASKSDENIED1", "denied-secret"));
        var parts = await DeletionBlockers.ListAsync(denied, cluster, ServicesRefusal(), NullLogger.Instance, CancellationToken.None);
        parts.Should().HaveCount(2);
        parts[0].Should().MatchRegex(@"^services: service-\d+$");
        parts[1].Should().Be("tasks not named (ecs:ListTasks is not allowed; iam/ecs-policy-extended.json grants it)");
    }

    [Test]
    public async Task A_failing_list_call_is_noted_not_thrown()
    {
        var cluster = await BusyAsync(services: 1);
        _backend.AwsEmulator!.Faults.FailNext("ListServices", 1, "ServerException", 500, "<html>boom</html>");
        var parts = await ListAsync(cluster, ServicesRefusal());
        parts.Should().ContainSingle().Which.Should().StartWith("services not named (listing them failed:");
    }

    [Test]
    public async Task Cancellation_propagates()
    {
        var cluster = await BusyAsync(services: 1);
        var act = () => DeletionBlockers.ListAsync(_ecs, cluster, ServicesRefusal(), NullLogger.Instance, new CancellationToken(canceled: true));
        await act.Should().ThrowAsync<OperationCanceledException>();
    }

    [Test]
    public void The_message_puts_the_counts_first_and_the_retry_last()
    {
        var cluster = new Ecs.Cluster { ClusterName = "busy", ActiveServicesCount = 1, RunningTasksCount = 2, PendingTasksCount = 0, RegisteredContainerInstancesCount = 1 };
        DeletionBlockers.Message(cluster, ["services: web", "tasks: a, b"], TimeSpan.FromSeconds(30)).Should().Be(
            "ECS refuses to delete cluster busy while it has 1 active service, 2 running tasks, 0 pending tasks and 1 registered container instance; "
            + "services: web; tasks: a, b; retrying every 30s");
        DeletionBlockers.Message(cluster with { ActiveServicesCount = 0 }, [], TimeSpan.FromMinutes(1)).Should().EndWith("container instance; retrying every 60s");
    }
}

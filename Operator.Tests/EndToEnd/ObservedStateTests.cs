using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// The status shows what ECS reports for every field the spec sets (capacity providers, strategy, settings,
/// configuration, Service Connect defaults, tags), through the CRD schema the emulator prunes with, and follows
/// changes made from the spec and outside it.
/// </summary>
[TestFixture]
public sealed class ObservedStateTests
{
    private OperatorTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _bed = await OperatorTestBed.StartAsync(resync: TimeSpan.FromSeconds(2));
        await _bed.CreateStaticProviderAsync("default", "p");
        await _bed.WaitProviderReadyAsync("default", "p");
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task Status_shows_what_ECS_reports_next_to_the_spec()
    {
        await _bed.Kube.CreateClusterAsync("default", "observed", spec: s =>
        {
            s.CapacityProviders = ["FARGATE_SPOT", "FARGATE"];
            s.DefaultCapacityProviderStrategy =
            [
                new CapacityProviderStrategyItem { CapacityProvider = "FARGATE_SPOT", Weight = 3 },
                new CapacityProviderStrategyItem { CapacityProvider = "FARGATE", Weight = 1, Base = 1 },
            ];
            s.Settings = [new ClusterSetting { Name = "containerInsights", Value = "disabled" }];
            s.Configuration = new ClusterConfiguration { ExecuteCommandConfiguration = new ExecuteCommandConfiguration { Logging = "DEFAULT", KmsKeyId = "alias/exec" } };
            s.ServiceConnectDefaults = new ServiceConnectDefaults { Namespace = "observed-ns" };
            s.Tags = new() { ["Team"] = "platform" };
        });
        var ready = await _bed.WaitReadyAsync("default", "observed");

        var status = ready.Status!;
        status.CapacityProviders.Should().Equal("FARGATE", "FARGATE_SPOT");
        status.DefaultCapacityProviderStrategy!.Select(i => (i.CapacityProvider, i.Weight ?? 0, i.Base ?? 0))
            .Should().Equal(("FARGATE", 1, 1), ("FARGATE_SPOT", 3, 0));
        status.Settings.Should().ContainSingle().Which.Should().Be(new ClusterSetting { Name = "containerInsights", Value = "disabled" });
        status.Configuration!.ExecuteCommandConfiguration!.Logging.Should().Be("DEFAULT");
        status.Configuration.ExecuteCommandConfiguration.KmsKeyId.Should().Be("alias/exec");
        status.ServiceConnectDefaults!.Namespace.Should().Contain("observed-ns");
        status.Tags.Should().Contain("Team", "platform").And.ContainKey("aws-infra-operator.runner.codes/owner");

        await _bed.Kube.PatchClusterAsync("default", "observed", new JsonObject
        {
            ["spec"] = new JsonObject { ["settings"] = new JsonArray(new JsonObject { ["name"] = "containerInsights", ["value"] = "enhanced" }) },
        });
        await _bed.WaitForClusterAsync("default", "observed",
            c => c.Status?.Settings?.SingleOrDefault()?.Value == "enhanced" && c.Status.Ready, "status.settings follows a spec change");

        // A change outside Kubernetes shows once the drift scan has read it (and then corrected it).
        var arn = status.ClusterARN!;
        await _bed.Ecs.TagResourceAsync(new() { ResourceArn = arn, Tags = [new("Rogue", "x")] });
        await _bed.WaitForClusterAsync("default", "observed", c => c.Status?.Tags?.ContainsKey("Rogue") == false
            && c.Status.Tags.ContainsKey("Team"), "the drift scan's status without the rogue tag");
    }

    [Test]
    public async Task A_cluster_with_nothing_set_reports_only_what_ECS_defaults_to()
    {
        await _bed.Kube.CreateClusterAsync("default", "plain");
        var ready = await _bed.WaitReadyAsync("default", "plain");

        ready.Status!.CapacityProviders.Should().BeNull("ECS reports no capacity providers, and an empty list is left out");
        ready.Status.DefaultCapacityProviderStrategy.Should().BeNull();
        ready.Status.Settings.Should().ContainSingle().Which.Value.Should().Be("enabled", "the CRD's default setting is applied");
    }
}

/// <summary>
/// A blocked deletion names what blocks it when the extended IAM policy's list actions are allowed, and falls back to
/// the counts with a note (never to a failure) when they are denied; in both cases it completes once the workload is gone.
/// </summary>
[TestFixture]
public sealed class DeletionBlockerTests
{
    [Test]
    public async Task A_blocked_deletion_names_up_to_ten_of_each_kind()
    {
        await using var bed = await StartAsync();
        await bed.Kube.CreateClusterAsync("default", "crowded");
        await bed.WaitReadyAsync("default", "crowded");
        bed.Aws.Ecs.SetWorkload(OperatorTestBed.Account, "us-east-1", "crowded", activeServices: 12, runningTasks: 2, pendingTasks: 1, containerInstances: 1);
        await bed.Kube.DeleteClusterAsync("default", "crowded");

        var message = (await BlockedAsync(bed, "crowded")).Message;
        message.Should().Contain("12 active services");
        message.Should().MatchRegex(@"services: (service-\d+, ){9}service-\d+ and 2 more;");
        message.Should().Contain("tasks: " + string.Join(", ", Enumerable.Range(1, 3).Select(i => i.ToString("x32"))));
        message.Should().MatchRegex(@"container instances: [0-9a-f-]+;");
        message.Should().NotContain("arn:aws:ecs", "names are the IDs the aws CLI takes, not whole ARNs");

        bed.Aws.Ecs.SetWorkload(OperatorTestBed.Account, "us-east-1", "crowded");
        await bed.WaitGoneAsync("default", "crowded");
    }

    [Test]
    public async Task Denied_list_actions_fall_back_to_the_counts_with_a_note_and_never_fail()
    {
        await using var bed = await StartAsync();
        await bed.Kube.CreateClusterAsync("default", "guarded");
        await bed.WaitReadyAsync("default", "guarded");
        bed.Aws.Credentials.Deny("test", "ecs:ListServices", "ecs:ListTasks", "ecs:ListContainerInstances");
        bed.Aws.Ecs.SetWorkload(OperatorTestBed.Account, "us-east-1", "guarded", activeServices: 2, runningTasks: 3, containerInstances: 1);
        await bed.Kube.DeleteClusterAsync("default", "guarded");

        var blocked = await BlockedAsync(bed, "guarded");
        blocked.Reason.Should().BeOneOf(ClusterConditions.Reasons.ClusterContainsServices, ClusterConditions.Reasons.ClusterContainsTasks,
            ClusterConditions.Reasons.ClusterContainsContainerInstances);
        blocked.Message.Should().Contain("2 active services, 3 running tasks, 0 pending tasks and 1 registered container instance")
            .And.Contain("services not named (ecs:ListServices is not allowed")
            .And.Contain("tasks not named (ecs:ListTasks is not allowed")
            .And.Contain("container instances not named (ecs:ListContainerInstances is not allowed");
        var obj = await bed.GetClusterAsync("default", "guarded");
        obj!.Status!.Conditions!.Should().NotContain(c => c.Reason == ClusterConditions.Reasons.AccessDenied, "a denied optional read is no failure");

        bed.Aws.Ecs.SetWorkload(OperatorTestBed.Account, "us-east-1", "guarded");
        await bed.WaitGoneAsync("default", "guarded");
    }

    private static async Task<OperatorTestBed> StartAsync()
    {
        var bed = await OperatorTestBed.StartAsync(services: s => s.AddSingleton(new ClusterReconcilerOptions { BlockedRequeue = TimeSpan.FromMilliseconds(500) }));
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        return bed;
    }

    private static async Task<k8s.Models.V1Condition> BlockedAsync(OperatorTestBed bed, string name)
    {
        var blocked = await bed.WaitForClusterAsync("default", name,
            c => c.Status?.Conditions?.Any(x => x.Type == ClusterConditions.DeletionBlocked && x.Status == "True") == true, "DeletionBlocked");
        return blocked.Status!.Conditions!.Single(x => x.Type == ClusterConditions.DeletionBlocked);
    }
}

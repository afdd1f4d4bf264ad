using Operator.Core.Api.V1Alpha1;
using Operator.Tests.Kubernetes;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// What a user sees with kubectl, the operator running over the in-process stack and the real kubectl reading its
/// printer columns: a blocked deletion shows in ECSCluster's STATUS column and in the -o wide REASON and MESSAGE; a
/// provider whose deletion waits for its clusters shows DELETION_BLOCKED; a provider checked again after a change
/// (its deletion) does not flip its clusters' Ready to Unknown meanwhile; tag keys that differ only in case are noted
/// in the Synced message and by one Normal Event. A blocked deletion is retried every half second instead of the
/// product's 30 s, so the deletion completes soon after its workload is gone.
/// </summary>
[TestFixture]
public sealed class StatusPresentationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private OperatorTestBed _bed = null!;
    private string _home = null!;
    private string _kubeconfig = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _bed = await OperatorTestBed.StartAsync(services: s =>
            OperatorTestBed.Adjust<ClusterReconcilerOptions>(s, o => o with { BlockedRequeue = TimeSpan.FromMilliseconds(500) }));
        _home = Directory.CreateTempSubdirectory("status-columns-").FullName;
        _kubeconfig = _bed.Stack.Kube.WriteKubeconfig(Path.Combine(_home, "kubeconfig"));
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _bed.DisposeAsync();
        Directory.Delete(_home, recursive: true);
    }

    private async Task<string> Kubectl(params string[] args)
    {
        using var p = KubectlProcess.Start(_kubeconfig, _home, args);
        await p.WaitForExitAsync(Timeout);
        p.ExitCode.Should().Be(0, $"kubectl {string.Join(' ', args)} failed: {p.Stderr}");
        return p.Stdout;
    }

    [Test]
    public async Task A_blocked_deletion_shows_in_the_status_column_and_the_wide_reason_and_message()
    {
        await _bed.CreateStaticProviderAsync("default", "p");
        await _bed.Kube.CreateClusterAsync("default", "busy");
        await _bed.WaitReadyAsync("default", "busy");
        (await Kubectl("get", "ecscluster", "busy")).Should().MatchRegex(@"(?m)^busy +busy +ACTIVE +True +True ");
        _bed.Aws.Ecs.SetWorkload(OperatorTestBed.Account, "us-east-1", "busy", activeServices: 1, runningTasks: 2);

        await _bed.Kube.DeleteClusterAsync("default", "busy");
        await _bed.WaitForClusterAsync("default", "busy", c => c.Status?.Conditions?.Any(c => c.Type == "DeletionBlocked" && c.Status == "True") == true,
            "DeletionBlocked");

        var table = await Kubectl("get", "ecscluster", "busy");
        table.Should().MatchRegex(@"(?m)^NAME +CLUSTER NAME +STATUS +READY +SYNCED ").And.MatchRegex(@"(?m)^busy +busy +DELETION_BLOCKED +False +False +2 +1 ");
        var wide = (await Kubectl("get", "ecscluster", "busy", "-o", "wide")).Split('\n');
        wide[0].Should().MatchRegex("REASON +MESSAGE$");
        wide[1].Should().MatchRegex(@"DELETION_BLOCKED .* ClusterContainsServices +ECS refuses to delete cluster busy while it has 1 active service, 2 running tasks, 0 pending tasks and 0 registered container instances");

        _bed.Aws.Ecs.SetWorkload(OperatorTestBed.Account, "us-east-1", "busy");
        await _bed.WaitGoneAsync("default", "busy");
    }

    [Test]
    public async Task A_provider_whose_deletion_waits_for_its_clusters_says_so_in_its_columns()
    {
        await _bed.CreateStaticProviderAsync("default", "held");
        await _bed.Kube.CreateClusterAsync("default", "holder", provider: "held");
        await _bed.WaitReadyAsync("default", "holder");
        (await Kubectl("get", "awsprovider", "held")).Should().MatchRegex(@"(?m)^NAME +REGION +READY +ACCOUNT +REASON +STATUS +AGE$")
            .And.MatchRegex(@"(?m)^held +us-east-1 +True +123456789012 +Authenticated +ACTIVE ");

        await DeleteProviderAsync("held");
        await Eventually.UntilAsync(async () => (await _bed.GetProviderAsync("default", "held"))?.Status?.Phase == "DELETION_BLOCKED",
            "the provider's STATUS to say its deletion waits", Timeout);
        (await Kubectl("get", "awsprovider", "held")).Should().MatchRegex(@"(?m)^held +us-east-1 +True +123456789012 +Authenticated +DELETION_BLOCKED ");
        (await Kubectl("get", "awsprovider", "held", "-o", "wide")).Should().MatchRegex(@"(?m)MESSAGE$").And.Contain("authenticated as");
        (await Kubectl("get", "awsprovider", "held", "-o", "jsonpath={.status.conditions[?(@.type==\"DeletionBlocked\")].message}")).Trim()
            .Should().Be("deletion waits for 1 ECSCluster that uses this provider: default/holder");

        await _bed.Kube.DeleteClusterAsync("default", "holder");
        await _bed.WaitGoneAsync("default", "holder");
        await Eventually.UntilAsync(async () => await _bed.GetProviderAsync("default", "held") is null, "the provider to go with its last user", Timeout);
    }

    [Test]
    public async Task Clusters_stay_Ready_while_their_provider_is_checked_again()
    {
        await _bed.CreateStaticProviderAsync("default", "rechecked");
        await _bed.Kube.CreateClusterAsync("default", "rechecked-a", provider: "rechecked");
        await _bed.Kube.CreateClusterAsync("default", "rechecked-b", provider: "rechecked");
        await _bed.WaitReadyAsync("default", "rechecked-a");
        await _bed.WaitReadyAsync("default", "rechecked-b");
        await Eventually.UntilAsync(async () => (await _bed.GetProviderAsync("default", "rechecked"))?.Metadata.Finalizers?.Count > 0, "the in-use finalizer", Timeout);
        var resourceVersion = _bed.Stack.Kube.CurrentResourceVersion;
        await using var watch = await WatchCollector.OpenAsync(_bed.Stack.Kube.BaseAddress,
            $"/apis/{ApiGroup.Group}/{ApiGroup.Version}/namespaces/default/{ECSCluster.PluralName}?watch=true&resourceVersion={resourceVersion}");
        using var reconciles = new ReconcileLog("rechecked-");

        // The provider's check of its new generation (its deletion) is held at STS: the clusters are woken by the
        // generation change and reconcile while the provider is not validated yet, which is when they used to flap.
        var check = _bed.Aws.Faults.HoldNext("GetCallerIdentity");
        await DeleteProviderAsync("rechecked");
        await check.Reached.WaitAsync(Timeout);
        await Eventually.UntilAsync(() => reconciles.Keys().Distinct().Count() == 2, "both clusters reconciled while the check is held", Timeout);
        check.Release();
        await Eventually.UntilAsync(async () => (await _bed.GetProviderAsync("default", "rechecked"))?.Status is { Phase: "DELETION_BLOCKED" } s
            && s.ObservedGeneration == (await _bed.GetProviderAsync("default", "rechecked"))!.Metadata.Generation, "the provider validated again", Timeout);
        await Eventually.UntilAsync(() => reconciles.Count >= 4, "both clusters woken by the landed check", Timeout);

        (await _bed.GetClusterAsync("default", "rechecked-a"))!.Status!.Ready.Should().BeTrue();

        // The watch is live: the deletion of rechecked-a below shows on it. Everything it delivered before says Ready=True.
        await _bed.Kube.DeleteClusterAsync("default", "rechecked-a");
        await _bed.Kube.DeleteClusterAsync("default", "rechecked-b");
        var seen = new List<string>();
        while (true)
        {
            var e = await watch.NextNonBookmarkAsync();
            var obj = e["object"]!;
            if (obj["metadata"]?["deletionTimestamp"] is not null)
            {
                break;
            }
            var ready = (obj["status"]?["conditions"] as JsonArray)?.FirstOrDefault(c => c?["type"]?.GetValue<string>() == "Ready");
            seen.Add($"{obj["metadata"]!["name"]}: Ready={ready?["status"]} ({ready?["reason"]})");
        }
        seen.Should().NotContain(c => !c.Contains("Ready=True (Active)", StringComparison.Ordinal),
            "Ready never leaves True while the provider is checked again");
        await _bed.WaitGoneAsync("default", "rechecked-a");
        await _bed.WaitGoneAsync("default", "rechecked-b");
    }

    [Test]
    public async Task Tag_keys_that_differ_only_in_case_are_noted_once()
    {
        await _bed.CreateStaticProviderAsync("default", "tagging", spec: s => s["defaultTags"] = new JsonObject { ["environment"] = "production" });
        await _bed.Kube.CreateClusterAsync("default", "cased", provider: "tagging",
            spec: s => s.Tags = new Dictionary<string, string> { ["Environment"] = "production" });
        var ready = await _bed.WaitReadyAsync("default", "cased");
        var synced = ready.Status!.Conditions!.Single(c => c.Type == "Synced");
        synced.Status.Should().Be("True");
        synced.Message.Should().Be("the ECS cluster matches the spec; note: tag keys that differ only in case are separate tags in ECS, "
            + "so the cluster has each of them: environment (the provider's defaultTags) and Environment (spec.tags)");
        (await _bed.DescribeAsync("cased"))!.Tags!.Select(t => t.Key).Should().Contain(["environment", "Environment"]);

        // Another pass (a spec change) keeps the note and records no second Event.
        await _bed.Kube.PatchClusterAsync("default", "cased", new JsonObject { ["spec"] = new JsonObject { ["tags"] = new JsonObject { ["Environment"] = "production", ["team"] = "a" } } });
        await _bed.WaitForClusterAsync("default", "cased", c => c.Status?.ObservedGeneration == c.Metadata.Generation
            && c.Status!.Tags?.ContainsKey("team") == true && c.Status.Conditions!.Single(c => c.Type == "Synced").Message!.Contains("note:", StringComparison.Ordinal), "the second pass");
        List<k8s.Models.Corev1Event> notes = [];
        await Eventually.UntilAsync(async () =>
        {
            var events = await _bed.Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=cased");
            notes = [.. events.Items.Where(e => e.Reason == ClusterConditions.EventReasons.TagKeysDifferInCase)];
            return notes.Count > 0 && events.Items.Any(e => e.Reason == "Updated");
        }, "the note's Event and the second pass's Updated Event", Timeout);
        notes.Should().ContainSingle().Which.Count.Should().Be(1, "the note is recorded once, not on every pass");
        notes[0].Type.Should().Be("Normal");
    }

    private Task DeleteProviderAsync(string name) =>
        _bed.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, "default", AWSProvider.PluralName, name);
}

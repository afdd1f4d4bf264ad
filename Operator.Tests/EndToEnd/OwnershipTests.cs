using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// The ownership gate, release on Retain, adoption of orphans, provider in-use protection and the status rule,
/// against the running operator over HTTP (Kubernetes API emulator, ECS/STS emulator).
/// </summary>
[TestFixture]
public sealed class OwnershipTests
{
    private OperatorTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _bed = await OperatorTestBed.StartAsync(resync: TimeSpan.FromSeconds(2), awsOptions: new Operator.Testing.Aws.AwsEmulatorOptions { RecordRequests = true },
            services: s => s.AddSingleton(new ClusterReconcilerOptions
        {
            BlockedRequeue = TimeSpan.FromMilliseconds(500), SlowRequeue = TimeSpan.FromSeconds(1),
        }));
        await _bed.CreateStaticProviderAsync("default", "p");
        await _bed.WaitProviderReadyAsync("default", "p");
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    private static bool Has(ECSCluster c, string reason) => c.Status?.Conditions?.Any(x => x.Reason == reason) == true;

    private static void AssertConsistent(ECSCluster c) =>
        (c.Status?.Ready == true).Should().Be(c.Status?.Conditions?.Any(x => x.Type == "Ready" && x.Status == "True") == true,
            $"status.ready of {c.Metadata.Name} must equal its Ready condition");

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public async Task Concurrent_creates_of_one_cluster_name_give_exactly_one_owner(int seed)
    {
        var random = new Random(seed);
        var clusterName = $"contested-{seed}";
        var names = Enumerable.Range(0, 2 + random.Next(3)).Select(i => $"contender-{seed}-{i}").ToList();
        await Task.WhenAll(names.Select(n => _bed.Kube.CreateClusterAsync("default", n, clusterName: clusterName)));

        var settled = new List<ECSCluster>();
        foreach (var n in names)
        {
            settled.Add(await _bed.WaitForClusterAsync("default", n,
                c => c.Status?.Ready == true || Has(c, ClusterConditions.Reasons.OwnedByAnotherObject), "Ready or OwnedByAnotherObject"));
        }
        var tag = Ownership.OwnerOf((await _bed.DescribeAsync(clusterName))!);
        settled.Should().ContainSingle(c => c.Status!.Ready == true).Which.Metadata.Name.Should().Be(tag!.Split('/')[1]);
        settled.Where(c => $"default/{c.Metadata.Name}" != tag).Should().OnlyContain(c => Has(c, ClusterConditions.Reasons.OwnedByAnotherObject));
        settled.ForEach(AssertConsistent);
        (await _bed.GetClusterAsync("default", tag!.Split('/')[1]))!.Metadata.Annotations![Ownership.CreatedArnAnnotation]
            .Should().EndWith($"cluster/{clusterName}");
        var loser = settled.First(c => c.Status!.Ready != true);
        loser.Status!.Conditions!.Single(c => c.Type == "Ready").Message
            .Should().Contain("deletionPolicy: Retain").And.Contain("adoptExisting");
    }

    [Test]
    public async Task A_retained_cluster_is_released_and_adopted_by_a_new_object()
    {
        await _bed.Kube.CreateClusterAsync("default", "retained", clusterName: "heirloom", spec: s => s.DeletionPolicy = DeletionPolicy.Retain);
        await _bed.WaitReadyAsync("default", "retained");
        await _bed.Kube.DeleteClusterAsync("default", "retained");
        await _bed.WaitGoneAsync("default", "retained");
        var kept = (await _bed.DescribeAsync("heirloom"))!;
        kept.Status.Should().Be("ACTIVE");
        Ownership.OwnerOf(kept).Should().BeNull("a retained cluster is released");

        await _bed.Kube.CreateClusterAsync("default", "heir", clusterName: "heirloom", spec: s => s.AdoptExisting = true);
        await _bed.WaitReadyAsync("default", "heir");
        Ownership.OwnerOf((await _bed.DescribeAsync("heirloom"))!).Should().Be("default/heir");
    }

    [Test]
    public async Task A_cluster_whose_owner_provably_no_longer_exists_is_adopted_only_on_opt_in()
    {
        // Left behind by an object that is gone (e.g. abandoned by removing its finalizer by hand).
        await _bed.Ecs.CreateClusterAsync(new() { ClusterName = "orphan", Tags = [new(Ownership.TagKey, "default/ghost")] });

        await _bed.Kube.CreateClusterAsync("default", "finder", clusterName: "orphan");
        await _bed.WaitForClusterAsync("default", "finder", c => Has(c, ClusterConditions.Reasons.OwnedByAnotherObject), "OwnedByAnotherObject");
        await _bed.Kube.PatchClusterAsync("default", "finder", new JsonObject { ["spec"] = new JsonObject { ["adoptExisting"] = true } });
        await _bed.WaitReadyAsync("default", "finder");
        Ownership.OwnerOf((await _bed.DescribeAsync("orphan"))!).Should().Be("default/finder");
    }

    [Test]
    public async Task Adoption_never_takes_a_cluster_whose_owner_exists()
    {
        await _bed.Kube.CreateClusterAsync("default", "holder", clusterName: "held");
        await _bed.WaitReadyAsync("default", "holder");
        await _bed.Kube.CreateClusterAsync("default", "grabber", clusterName: "held", spec: s => s.AdoptExisting = true);
        var blocked = await _bed.WaitForClusterAsync("default", "grabber", c => Has(c, ClusterConditions.Reasons.OwnedByAnotherObject), "OwnedByAnotherObject");
        AssertConsistent(blocked);
        Ownership.OwnerOf((await _bed.DescribeAsync("held"))!).Should().Be("default/holder");
    }

    [Test]
    public async Task An_ownership_tag_removed_out_of_band_is_restored_and_delete_still_deletes()
    {
        await _bed.Kube.CreateClusterAsync("default", "untagged", clusterName: "untagged");
        await _bed.WaitReadyAsync("default", "untagged");
        var arn = (await _bed.DescribeAsync("untagged"))!.ClusterArn!;
        await _bed.Ecs.UntagResourceAsync(new() { ResourceArn = arn, TagKeys = [Ownership.TagKey] });
        await Eventually.UntilAsync(async () => Ownership.OwnerOf((await _bed.DescribeAsync("untagged"))!) == "default/untagged",
            "ownership tag restored", TimeSpan.FromSeconds(60));

        await _bed.Ecs.UntagResourceAsync(new() { ResourceArn = arn, TagKeys = [Ownership.TagKey] });
        await _bed.Kube.DeleteClusterAsync("default", "untagged");
        await _bed.WaitGoneAsync("default", "untagged");
        (await _bed.DescribeAsync("untagged"))?.Status.Should().Be("INACTIVE", "the object that created it still deletes it");
    }

    [Test]
    public async Task A_cluster_that_never_existed_in_ecs_is_finalized_without_aws_nor_its_provider()
    {
        await _bed.CreateStaticProviderAsync("default", "short-lived");
        await _bed.WaitProviderReadyAsync("default", "short-lived");
        await _bed.Kube.CreateClusterAsync("default", "stillborn", provider: "short-lived", spec: s => s.CapacityProviders = ["no-such-provider"]);
        await _bed.WaitForClusterAsync("default", "stillborn",
            c => c.Metadata.Finalizers?.Contains(ApiGroup.Finalizer) == true && Has(c, ClusterConditions.Reasons.InvalidParameter), "create failed");

        var before = _bed.Aws.RecordedRequests.Count;
        await _bed.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, "default", AWSProvider.PluralName, "short-lived");
        await _bed.Kube.DeleteClusterAsync("default", "stillborn");
        await _bed.WaitGoneAsync("default", "stillborn");
        await Eventually.UntilAsync(async () => await _bed.GetProviderAsync("default", "short-lived") is null, "provider gone", TimeSpan.FromSeconds(60));
        // Other tests' objects share this operator, so only the calls naming this cluster count. A create retry that
        // raced the deletion is a DescribeClusters followed by a CreateCluster (the first retry may have sent its
        // DescribeClusters before the count was taken, so a leading CreateCluster is one too); a finalizer's call would
        // be anything else, or a DescribeClusters that no CreateCluster follows.
        var calls = _bed.OperatorCallsNaming(before, "stillborn");
        var retries = calls.Count > 0 && calls[0] == "CreateCluster" ? calls.Skip(1).ToList() : calls;
        retries.Chunk(2).Where(pair => !pair.SequenceEqual(["DescribeClusters", "CreateCluster"])).Should().BeEmpty(
            "nothing of this object exists in ECS, so only create retries name it (calls: {0})", string.Join(", ", calls));
    }

    [Test]
    public async Task A_provider_in_use_waits_for_its_clusters_and_says_which()
    {
        await _bed.CreateStaticProviderAsync("default", "busy-provider");
        await _bed.WaitProviderReadyAsync("default", "busy-provider");
        await _bed.Kube.CreateClusterAsync("default", "user-a", provider: "busy-provider");
        await _bed.Kube.CreateClusterAsync("default", "user-b", provider: "busy-provider");
        await _bed.WaitReadyAsync("default", "user-a");
        await _bed.WaitReadyAsync("default", "user-b");
        await Eventually.UntilAsync(async () => (await _bed.GetProviderAsync("default", "busy-provider"))!.Metadata.Finalizers?
            .Contains(ProviderProtection.Finalizer) == true, "in-use finalizer", TimeSpan.FromSeconds(60));

        await _bed.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, "default", AWSProvider.PluralName, "busy-provider");
        await Eventually.UntilAsync(async () => (await _bed.GetProviderAsync("default", "busy-provider"))!.Status?.Conditions?
            .Any(c => c.Type == "DeletionBlocked" && c.Message.Contains("2 ECSClusters") && c.Message.Contains("default/user-a")
                && c.Message.Contains("default/user-b")) == true, "DeletionBlocked naming both users", TimeSpan.FromSeconds(60));
        // The recorder writes Events from its queue, after the status write that the wait above saw.
        await Eventually.UntilAsync(async () => (await _bed.Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=busy-provider"))
            .Items.Any(e => e.Reason == "DeletionBlocked" && e.Message.Contains("default/user-a")), "a DeletionBlocked Event naming a user", TimeSpan.FromSeconds(60));

        await _bed.Kube.DeleteClusterAsync("default", "user-a");
        await _bed.WaitGoneAsync("default", "user-a");
        (await _bed.GetProviderAsync("default", "busy-provider")).Should().NotBeNull("user-b still holds it");
        await _bed.Kube.DeleteClusterAsync("default", "user-b");
        await _bed.WaitGoneAsync("default", "user-b");
        await Eventually.UntilAsync(async () => await _bed.GetProviderAsync("default", "busy-provider") is null, "provider gone", TimeSpan.FromSeconds(60));
        (await _bed.DescribeAsync("user-b"))?.Status.Should().Be("INACTIVE", "its clusters were deleted in ECS with the provider still there");
    }

    [Test]
    public async Task Status_ready_equals_the_Ready_condition_on_every_blocked_path_and_a_hand_edit_is_corrected()
    {
        await _bed.CreateStaticProviderAsync("default", "fenced", spec: s => s["allowedNamespaces"] = new JsonArray("production"));
        await _bed.Ecs.CreateClusterAsync(new() { ClusterName = "foreign" });
        await _bed.Kube.CreateClusterAsync("default", "owner-of-taken", clusterName: "taken");
        await _bed.WaitReadyAsync("default", "owner-of-taken");
        var paths = new (string Name, string Reason, Func<Task> Create)[]
        {
            ("no-provider", "ProviderNotFound", () => _bed.Kube.CreateClusterAsync("default", "no-provider", provider: "missing")),
            ("development/not-allowed", "ProviderNotAllowed", () => _bed.Kube.CreateClusterAsync("development", "not-allowed",
                spec: s => s.ProviderRef = new ProviderReference { Name = "fenced", Namespace = "default" })),
            ("bad-spec", ClusterConditions.Reasons.InvalidSpec, () => _bed.Kube.CreateClusterAsync("default", "bad-spec",
                spec: s => s.Tags = Enumerable.Range(0, 50).ToDictionary(i => $"k{i}", i => "v"))),
            ("needs-adoption", ClusterConditions.Reasons.AdoptionRequired, () => _bed.Kube.CreateClusterAsync("default", "needs-adoption", clusterName: "foreign")),
            ("second-owner", ClusterConditions.Reasons.OwnedByAnotherObject, () => _bed.Kube.CreateClusterAsync("default", "second-owner", clusterName: "taken")),
        };
        foreach (var (path, reason, create) in paths)
        {
            var (ns, name) = path.Contains('/') ? (path.Split('/')[0], path.Split('/')[1]) : ("default", path);
            await create();
            var blocked = await _bed.WaitForClusterAsync(ns, name, c => Has(c, reason) && c.Status!.ObservedGeneration == c.Metadata.Generation, reason);
            AssertConsistent(blocked);
            await _bed.Kube.PatchClusterAsync(ns, name, new JsonObject { ["status"] = new JsonObject { ["ready"] = true } }, status: true);
            var corrected = await _bed.WaitForClusterAsync(ns, name, c => c.Status?.Ready == false, $"{name}: hand-edited ready corrected");
            AssertConsistent(corrected);
        }

        await _bed.Kube.CreateClusterAsync("default", "blocked-delete");
        await _bed.WaitReadyAsync("default", "blocked-delete");
        _bed.Aws.Ecs.SetWorkload(OperatorTestBed.Account, "us-east-1", "blocked-delete", activeServices: 1);
        var before = (await _bed.GetClusterAsync("default", "blocked-delete"))!.Metadata.Generation;
        await _bed.Kube.DeleteClusterAsync("default", "blocked-delete");
        var deleting = await _bed.WaitForClusterAsync("default", "blocked-delete", c => Has(c, ClusterConditions.Reasons.ClusterContainsServices), "DeletionBlocked");
        AssertConsistent(deleting);
        deleting.Metadata.Generation.Should().Be(before + 1, "setting deletionTimestamp is a new generation");
        deleting.Status!.ObservedGeneration.Should().Be(deleting.Metadata.Generation);
        deleting.Status.Conditions!.Where(c => c.Type is "Ready" or "DeletionBlocked").Should().OnlyContain(c => c.ObservedGeneration == deleting.Metadata.Generation);
        _bed.Aws.Ecs.SetWorkload(OperatorTestBed.Account, "us-east-1", "blocked-delete");
        await _bed.WaitGoneAsync("default", "blocked-delete");
    }
}

/// <summary>
/// Every sample (providers, secrets, clusters) applied as <c>kubectl apply -f manifests/samples/</c> does, then deleted as
/// <c>kubectl delete -f</c> does, in file order, reverse order and all at once: deletion completes by itself and leaves
/// nothing in the API or in ECS, with nothing re-created. In reverse order the Secrets go first: the static-key
/// clusters are then deleted with their provider's last working credentials. The hybrid sample's create fails by
/// design (its EC2 capacity provider does not exist), so it is finalized without AWS. The limits of the last working
/// credentials (deletion only; in memory only) are checked on their own.
/// </summary>
[TestFixture]
public sealed class SampleDeletionTests
{
    private const string LastWorkingLog = "with its last working credentials";

    private static ClusterReconcilerOptions FastRequeues() => new()
    {
        BlockedRequeue = TimeSpan.FromMilliseconds(500), TransitionRequeue = TimeSpan.FromMilliseconds(500),
    };

    [TestCase("file order")]
    [TestCase("reverse order")]
    [TestCase("all at once")]
    public async Task Deleting_every_sample_completes_and_leaves_nothing(string order)
    {
        await using var bed = await OperatorTestBed.StartAsync(services: s => s.AddSingleton(FastRequeues()));
        var objects = Directory.GetFiles(RepositoryLayout.SampleDirectory, "*.yaml").Order(StringComparer.Ordinal)
            .SelectMany(f => YamlJson.ParseAll(File.ReadAllText(f)).Select(d => d!.AsObject())).ToList();
        foreach (var obj in objects)
        {
            await bed.CreateAsync((JsonObject)obj.DeepClone());
        }
        await bed.WaitReadyAsync("default", "fargate-cluster");
        await bed.WaitReadyAsync("default", "audit-cluster");
        await bed.WaitForClusterAsync("default", "hybrid-cluster",
            c => c.Status?.Conditions?.Any(x => x.Reason == ClusterConditions.Reasons.InvalidParameter) == true, "hybrid create failed");
        bed.Aws.Ecs.ClusterCount(OperatorTestBed.Account, "us-east-1").Should().BeGreaterThan(0);

        var ordered = order == "reverse order" ? Enumerable.Reverse(objects).ToList() : objects;
        if (order == "all at once")
        {
            await Task.WhenAll(ordered.Select(o => DeleteAsync(bed.Client, o)));
        }
        else
        {
            foreach (var obj in ordered)
            {
                await DeleteAsync(bed.Client, obj);
            }
        }

        await Eventually.UntilAsync(async () =>
        {
            var clusters = await bed.Client.CustomObjects.ListClusterCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, ECSCluster.PluralName);
            var providers = await bed.Client.CustomObjects.ListClusterCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, AWSProvider.PluralName);
            var secrets = await bed.Client.CoreV1.ListSecretForAllNamespacesAsync();
            return Count(clusters) == 0 && Count(providers) == 0 && !secrets.Items.Any(x => x.Metadata.Name == "aws-credentials");
        }, $"every sample object gone ({order}, nothing re-created)", TimeSpan.FromSeconds(120));
        bed.Aws.Ecs.ClusterCount(OperatorTestBed.Account, "us-east-1").Should().Be(0, "every cluster with deletionPolicy Delete is deleted in ECS");
        if (order == "reverse order")
        {
            bed.Logs.All.Should().Contain(LastWorkingLog, "the Secrets went first, so the static-key clusters were deleted with the last working credentials");
        }
    }

    [Test]
    public async Task A_deleted_Secret_lets_only_deletion_through_and_not_after_a_restart()
    {
        await using var bed = await OperatorTestBed.StartAsync(services: s => s.AddSingleton(FastRequeues()));
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        await bed.Kube.CreateClusterAsync("default", "edited");
        await bed.Kube.CreateClusterAsync("default", "survivor");
        await bed.WaitReadyAsync("default", "edited");
        await bed.WaitReadyAsync("default", "survivor");

        await bed.Client.CoreV1.DeleteNamespacedSecretAsync("p-credentials", "default");
        await Eventually.UntilAsync(async () => (await bed.GetProviderAsync("default", "p"))!.Status?.Conditions?
            .Any(c => c.Type == "Ready" && c.Reason == "SecretNotFound") == true, "provider reports SecretNotFound", TimeSpan.FromSeconds(60));
        await bed.Kube.PatchClusterAsync("default", "edited", new JsonObject { ["spec"] = new JsonObject { ["tags"] = new JsonObject { ["team"] = "a" } } });
        var refused = await bed.WaitForClusterAsync("default", "edited",
            c => c.Status?.ObservedGeneration == c.Metadata.Generation && c.Status?.Conditions?.Any(x =>
                x.Type == ClusterConditions.ProviderNotReady && x.Message.Contains("SecretNotFound", StringComparison.Ordinal)) == true,
            "a spec change waits for the Secret");
        refused.Status!.Ready.Should().BeFalse();
        (await bed.DescribeAsync("edited"))!.Tags!.Should().NotContain(t => t.Key == "team", "nothing but deletion uses the last working credentials");

        await bed.Kube.DeleteClusterAsync("default", "edited");
        await bed.WaitGoneAsync("default", "edited");
        (await bed.DescribeAsync("edited"))!.Status.Should().Be("INACTIVE");

        await bed.StopOperatorAsync();
        await bed.Kube.DeleteClusterAsync("default", "survivor");
        await bed.StartOperatorAsync();
        var blocked = await bed.WaitForClusterAsync("default", "survivor", c => c.Status?.Conditions?.Any(x =>
            x.Type == ClusterConditions.DeletionBlocked && x.Message.Contains("Re-create the Secret", StringComparison.Ordinal)) == true,
            "deletion after a restart waits for the Secret, and says so");
        blocked.Status!.Conditions!.Single(x => x.Type == ClusterConditions.DeletionBlocked).Message
            .Should().Contain("Secret default/p-credentials not found");
        await Eventually.UntilAsync(async () => (await bed.Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=survivor"))
            .Items.Any(e => e.Reason == "DeletionBlocked" && e.Message.Contains("Re-create the Secret")), "a DeletionBlocked Event saying what to do", TimeSpan.FromSeconds(60));
        (await bed.DescribeAsync("survivor"))!.Status.Should().Be("ACTIVE");

        await bed.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "p-credentials", NamespaceProperty = "default" },
            StringData = new Dictionary<string, string> { ["access-key-id"] = "test", ["secret-access-key"] = "test" },
        }, "default");
        await bed.WaitGoneAsync("default", "survivor");
        (await bed.DescribeAsync("survivor"))!.Status.Should().Be("INACTIVE");
    }

    private static int Count(object list) =>
        JsonNode.Parse(EcsOperatorModule.Json.Serialize(list))!["items"]!.AsArray().Count;

    private static Task DeleteAsync(IKubernetes client, JsonObject obj)
    {
        var name = obj["metadata"]!["name"]!.GetValue<string>();
        var ns = obj["metadata"]!["namespace"]?.GetValue<string>() ?? "default";
        return obj["kind"]!.GetValue<string>() switch
        {
            "Secret" => client.CoreV1.DeleteNamespacedSecretAsync(name, ns),
            AWSProvider.KindName => client.CustomObjects.DeleteNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, ns, AWSProvider.PluralName, name),
            _ => client.CustomObjects.DeleteNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, ns, ECSCluster.PluralName, name),
        };
    }
}

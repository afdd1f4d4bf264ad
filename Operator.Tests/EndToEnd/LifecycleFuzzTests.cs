using Operator.Core.Api.V1Alpha1;
using EcsModel = Operator.Core.Aws.Ecs.Model;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// A randomised, seeded lifecycle of ECSClusters against the whole operator over HTTP (Kubernetes API emulator with the
/// KubernetesClient, ECS/STS emulator with SigV4): objects sharing a few cluster names and two providers of one account
/// are created (several at the same instant), edited, deleted with Delete and Retain, switched to adoptExisting; a
/// provider is deleted and re-created; ECS clusters lose their ownership tag or are deleted out of band; ECS throttles,
/// fails with 5xx and loses responses; the operator restarts. After each step the test waits until the operator is
/// quiet (every object converged to what its request allows, every deletion finished) and checks the invariants:
/// no ECS cluster is managed by two objects; no cluster is deleted, retagged or released unless a step asked for it;
/// every satisfiable object converges; every deletion completes; <c>status.ready</c> equals the Ready condition.
/// Every seed starts with several objects creating one cluster name at the same instant: exactly one owns it.
/// CI runs the seeds of <see cref="Seeds"/>; <c>LIFECYCLE_SEEDS=4,5,6</c> (or <c>LIFECYCLE_SEEDS=random:20</c>) and
/// <c>LIFECYCLE_STEPS=50</c> run others and longer. A failure names its seed and the steps taken. Each seed has its own
/// stack, so the seeds run at the same time; the drift scan and the requeues run on short periods.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class LifecycleFuzzTests
{
    private const string Ns = "default";
    private static readonly string[] ClusterNames = ["alpha", "beta", "gamma"];
    private static readonly string[] ObjectNames = ["o0", "o1", "o2", "o3", "o4", "o5", "o6"];
    private static readonly string[] ProviderNames = ["pa", "pb"];

    public static IEnumerable<int> Seeds()
    {
        var configured = Environment.GetEnvironmentVariable("LIFECYCLE_SEEDS");
        if (string.IsNullOrWhiteSpace(configured))
        {
            return [11, 23, 37];
        }
        if (configured.StartsWith("random:", StringComparison.Ordinal))
        {
            return Enumerable.Range(0, int.Parse(configured["random:".Length..], System.Globalization.CultureInfo.InvariantCulture))
                .Select(_ => Random.Shared.Next(1, 1_000_000)).ToList();
        }
        return configured.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToList();
    }

    private static int Steps => int.TryParse(Environment.GetEnvironmentVariable("LIFECYCLE_STEPS"), out var steps) && steps > 0 ? steps : 8;

    [TestCaseSource(nameof(Seeds))]
    public async Task Random_lifecycles_keep_every_invariant(int seed)
    {
        await using var bed = await OperatorTestBed.StartAsync(resync: TimeSpan.FromSeconds(1), services: s => s.AddSingleton(new ClusterReconcilerOptions
        {
            BlockedRequeue = TimeSpan.FromMilliseconds(500), SlowRequeue = TimeSpan.FromSeconds(1), TransitionRequeue = TimeSpan.FromMilliseconds(500),
        }));
        var run = new Run(bed, seed);
        try
        {
            await run.RunAsync(Steps);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Assert.Fail($"LIFECYCLE seed {seed} failed (re-run with LIFECYCLE_SEEDS={seed} LIFECYCLE_STEPS={Steps}): {e.Message}\n"
                + $"steps:\n{string.Join("\n", run.Journal)}");
        }
    }

    /// <summary>What the test asked of one object (the API is the truth for whether it exists).</summary>
    private sealed record Intent(string ClusterName, string Provider, string Policy, bool Adopt);

    /// <summary>An ECS cluster as the backend has it, read without the operator's clients or the injected faults.</summary>
    private sealed record EcsView(string Name, string Arn, string Status, string? Owner, IReadOnlyDictionary<string, string> Tags)
    {
        public bool Live => Status is "ACTIVE" or "PROVISIONING";
    }

    private sealed class Run(OperatorTestBed bed, int seed)
    {
        private readonly Random _random = new(seed);
        private readonly Dictionary<string, Intent> _intents = new(StringComparer.Ordinal);
        private Dictionary<string, EcsView> _previous = new(StringComparer.Ordinal);
        private Dictionary<string, ECSCluster> _previousObjects = new(StringComparer.Ordinal);

        // What the current step did, for the checks that no cluster changes unless a step asked.
        private readonly HashSet<string> _touched = new(StringComparer.Ordinal);
        private readonly HashSet<string> _deletionAsked = new(StringComparer.Ordinal);
        private readonly List<(string Name, string Policy)> _objectDeletions = [];
        private readonly HashSet<string> _created = new(StringComparer.Ordinal);
        private int _tagChangesSeen;
        private int _revision;

        public List<string> Journal { get; } = [];

        public async Task RunAsync(int steps)
        {
            foreach (var provider in ProviderNames)
            {
                await CreateProviderAsync(provider, withSecret: true);
            }
            await ContestedCreateAsync();
            for (var step = 1; step <= steps; step++)
            {
                BeginStep();
                var actions = 1 + _random.Next(3);
                for (var i = 0; i < actions; i++)
                {
                    await RandomActionAsync();
                }
                await QuietPointAsync($"step {step}");
            }
            await TearDownAsync();
        }

        /// <summary>Several objects create one new cluster name at the same instant: exactly one owns it.</summary>
        private async Task ContestedCreateAsync()
        {
            BeginStep();
            var names = Enumerable.Range(0, 2 + _random.Next(2)).Select(i => $"c{i}").ToList();
            foreach (var name in names)
            {
                _intents[name] = new Intent("contested", ProviderNames[_random.Next(2)], DeletionPolicy.Delete, Adopt: false);
            }
            Note($"create at once {string.Join(", ", names)} -> contested");
            await Task.WhenAll(names.Select(CreateObjectAsync));
            await QuietPointAsync("contested create");
            var objects = await ListObjectsAsync();
            var contenders = names.Select(n => objects[n]).ToList();
            var owner = Ownership.ParseOwner((await ReadEcsAsync())["contested"].Owner)?.Name;
            contenders.Where(c => IsReady(c)).Select(c => c.Metadata.Name).Should().Equal(new[] { owner! }, "exactly one of the contenders owns the cluster");
            contenders.Where(c => c.Metadata.Name != owner).Should().OnlyContain(c => Reason(c) == ClusterConditions.Reasons.OwnedByAnotherObject,
                "every other contender reports OwnedByAnotherObject");
        }

        private void BeginStep()
        {
            _touched.Clear();
            _deletionAsked.Clear();
            _objectDeletions.Clear();
            _created.Clear();
        }

        private void Note(string what) => Journal.Add($"  {Journal.Count + 1}. {what}");

        private async Task RandomActionAsync()
        {
            var objects = await ListObjectsAsync();
            var live = objects.Values.Where(o => o.Metadata.DeletionTimestamp is null).Select(o => o.Metadata.Name).Order(StringComparer.Ordinal).ToList();
            var free = ObjectNames.Where(n => !objects.ContainsKey(n)).ToList();
            var roll = _random.Next(100);
            switch (roll)
            {
                case < 25 when free.Count > 0:
                    await CreateRandomAsync([free[_random.Next(free.Count)]]);
                    break;
                case < 35 when free.Count > 1:
                    await CreateRandomAsync(free.OrderBy(_ => _random.Next()).Take(2 + _random.Next(Math.Min(2, free.Count - 1))).ToList());
                    break;
                case < 47 when live.Count > 0:
                    await EditAsync(live[_random.Next(live.Count)]);
                    break;
                case < 62 when live.Count > 0:
                    await DeleteObjectAsync(live[_random.Next(live.Count)]);
                    break;
                case < 67 when live.Count > 0:
                    await AdoptAsync(live[_random.Next(live.Count)]);
                    break;
                case < 74:
                    await UntagOutOfBandAsync();
                    break;
                case < 79:
                    await DeleteOutOfBandAsync();
                    break;
                case < 88:
                    ArmFaults();
                    break;
                case < 94:
                    await ToggleProviderAsync();
                    break;
                default:
                    Note("restart the operator");
                    await bed.StopOperatorAsync();
                    await bed.StartOperatorAsync();
                    break;
            }
        }

        private async Task CreateRandomAsync(List<string> names)
        {
            var clusterName = ClusterNames[_random.Next(ClusterNames.Length)];
            foreach (var name in names)
            {
                _intents[name] = new Intent(clusterName, ProviderNames[_random.Next(2)],
                    _random.Next(10) < 6 ? DeletionPolicy.Delete : DeletionPolicy.Retain, Adopt: _random.Next(10) < 3);
                Note($"create {name}: {_intents[name]}");
            }
            _touched.Add(clusterName);
            await Task.WhenAll(names.Select(CreateObjectAsync));
        }

        private Task CreateObjectAsync(string name)
        {
            var intent = _intents[name];
            _created.Add(name);
            return bed.Kube.CreateClusterAsync(Ns, name, clusterName: intent.ClusterName, provider: intent.Provider, spec: s =>
            {
                s.DeletionPolicy = intent.Policy;
                s.AdoptExisting = intent.Adopt ? true : null;
            });
        }

        private async Task EditAsync(string name)
        {
            var value = $"r{++_revision}";
            Note($"edit {name}: tags.rev={value}");
            _touched.Add(_intents[name].ClusterName);
            await bed.Kube.PatchClusterAsync(Ns, name, new JsonObject { ["spec"] = new JsonObject { ["tags"] = new JsonObject { ["rev"] = value } } });
        }

        private async Task AdoptAsync(string name)
        {
            Note($"set adoptExisting on {name}");
            _intents[name] = _intents[name] with { Adopt = true };
            _touched.Add(_intents[name].ClusterName);
            await bed.Kube.PatchClusterAsync(Ns, name, new JsonObject { ["spec"] = new JsonObject { ["adoptExisting"] = true } });
        }

        private async Task DeleteObjectAsync(string name)
        {
            var intent = _intents[name];
            Note($"delete {name} ({intent.Policy}, {intent.ClusterName})");
            _touched.Add(intent.ClusterName);
            if (intent.Policy == DeletionPolicy.Delete)
            {
                _deletionAsked.Add(intent.ClusterName);
            }
            _objectDeletions.Add((name, intent.Policy));
            await bed.Kube.DeleteClusterAsync(Ns, name);
        }

        private async Task UntagOutOfBandAsync()
        {
            var tagged = (await ReadEcsAsync()).Values.Where(c => c.Live && c.Owner is not null).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
            if (tagged.Count == 0)
            {
                return;
            }
            var target = tagged[_random.Next(tagged.Count)];
            Note($"out of band: remove the ownership tag of {target.Name} (was {target.Owner})");
            _touched.Add(target.Name);
            bed.Aws.Ecs.UntagResource(OperatorTestBed.Account, "us-east-1", new EcsModel.UntagResourceRequest { ResourceArn = target.Arn, TagKeys = [Ownership.TagKey] });
        }

        private async Task DeleteOutOfBandAsync()
        {
            var live = (await ReadEcsAsync()).Values.Where(c => c.Live).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
            if (live.Count == 0)
            {
                return;
            }
            var target = live[_random.Next(live.Count)];
            Note($"out of band: delete ECS cluster {target.Name}");
            _touched.Add(target.Name);
            _deletionAsked.Add(target.Name);
            bed.Aws.Ecs.DeleteCluster(OperatorTestBed.Account, "us-east-1", new EcsModel.DeleteClusterRequest { Cluster = target.Arn });
        }

        private void ArmFaults()
        {
            var faults = bed.Aws.Faults;
            switch (_random.Next(3))
            {
                case 0:
                    var throttled = 1 + _random.Next(3);
                    Note($"ECS throttles the next {throttled} calls");
                    faults.FailNext("*", throttled, "ThrottlingException", 400, "Rate exceeded");
                    break;
                case 1:
                    var failed = 1 + _random.Next(2);
                    Note($"ECS fails the next {failed} calls with 500");
                    faults.FailNext("*", failed, "ServerException", 500);
                    break;
                default:
                    var operation = new[] { "CreateCluster", "TagResource", "UntagResource", "DeleteCluster", "UpdateCluster" }[_random.Next(5)];
                    Note($"ECS loses the response of the next {operation}");
                    faults.FailNext(operation, 1, "ServerException", 500, afterExecution: true);
                    break;
            }
        }

        private async Task ToggleProviderAsync()
        {
            var provider = await bed.GetProviderAsync(Ns, "pb");
            if (provider is null)
            {
                Note("re-create provider pb");
                await CreateProviderAsync("pb", withSecret: false);
            }
            else if (provider.Metadata.DeletionTimestamp is null)
            {
                Note("delete provider pb (waits for the clusters that use it)");
                await bed.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, Ns, AWSProvider.PluralName, "pb");
            }
        }

        private async Task CreateProviderAsync(string name, bool withSecret)
        {
            if (withSecret)
            {
                await bed.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
                {
                    Metadata = new V1ObjectMeta { Name = $"{name}-credentials", NamespaceProperty = Ns },
                    StringData = new Dictionary<string, string> { ["access-key-id"] = "test", ["secret-access-key"] = "test" },
                }, Ns);
            }
            await bed.CreateAsync(new JsonObject
            {
                ["apiVersion"] = ApiGroup.ApiVersion,
                ["kind"] = AWSProvider.KindName,
                ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Ns },
                ["spec"] = new JsonObject
                {
                    ["region"] = "us-east-1",
                    ["accessKeyIDRef"] = new JsonObject { ["name"] = $"{name}-credentials", ["key"] = "access-key-id" },
                    ["secretAccessKeyRef"] = new JsonObject { ["name"] = $"{name}-credentials", ["key"] = "secret-access-key" },
                    ["defaultTags"] = new JsonObject { ["managed-by"] = "infra-operator" },
                },
            }, Ns);
        }

        /// <summary>Everything deleted at once: every deletion completes, and every owned Delete cluster goes from ECS.</summary>
        private async Task TearDownAsync()
        {
            BeginStep();
            var objects = await ListObjectsAsync();
            foreach (var name in objects.Keys)
            {
                _touched.Add(_intents[name].ClusterName);
                if (_intents[name].Policy == DeletionPolicy.Delete)
                {
                    _deletionAsked.Add(_intents[name].ClusterName);
                }
                _objectDeletions.Add((name, _intents[name].Policy));
            }
            Note("delete every object and provider at once");
            await Task.WhenAll(objects.Keys.Select(n => bed.Kube.DeleteClusterAsync(Ns, n))
                .Concat(ProviderNames.Select(async p =>
                {
                    if (await bed.GetProviderAsync(Ns, p) is { Metadata.DeletionTimestamp: null })
                    {
                        await bed.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, Ns, AWSProvider.PluralName, p);
                    }
                })));
            await QuietPointAsync("tear-down");
            foreach (var p in ProviderNames)
            {
                await Eventually.UntilAsync(async () => await bed.GetProviderAsync(Ns, p) is null, $"provider {p} gone", TimeSpan.FromSeconds(60));
            }
        }

        private async Task QuietPointAsync(string label)
        {
            List<string> problems = [];
            var stable = 0;
            Dictionary<string, EcsView> ecs = [];
            Dictionary<string, ECSCluster> objects = [];
            // Converged on three reads in a row, 200 ms apart; a broken safety invariant fails at the first read.
            await Eventually.UntilAsync(async () =>
            {
                objects = await ListObjectsAsync();
                ecs = await ReadEcsAsync();
                var providers = await ListProvidersAsync();
                var safety = Safety(objects, ecs);
                if (safety.Count > 0)
                {
                    Assert.Fail($"{label}: invariant broken: {string.Join("; ", safety)}\n{Dump(objects, ecs)}");
                }
                problems = Convergence(objects, ecs, providers);
                stable = problems.Count == 0 ? stable + 1 : 0;
                return stable >= 3;
            }, () => $"{label} to converge: {string.Join("; ", problems)}\n{Dump(objects, ecs)}", TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(200));
            var owners = SingleOwners(objects, ecs);
            if (owners.Count > 0)
            {
                Assert.Fail($"{label}: a cluster is managed by two objects: {string.Join("; ", owners)}\n{Dump(objects, ecs)}");
            }
            var history = History(objects, ecs);
            if (history.Count > 0)
            {
                Assert.Fail($"{label}: a cluster changed without being asked: {string.Join("; ", history)}\n{Dump(objects, ecs)}");
            }
            Journal.Add($"  -- quiet after {label}: {string.Join(", ", ecs.Values.Select(c => $"{c.Name}={c.Status}/{c.Owner ?? "-"}"))}");
            _previous = ecs;
            _previousObjects = objects;
        }

        /// <summary>What must hold at every moment, quiet or not: status never contradicts its conditions.</summary>
        private static List<string> Safety(Dictionary<string, ECSCluster> objects, Dictionary<string, EcsView> ecs)
        {
            var problems = new List<string>();
            foreach (var o in objects.Values)
            {
                if ((o.Status?.Ready == true) != IsReady(o))
                {
                    problems.Add($"{o.Metadata.Name}: status.ready={o.Status?.Ready} but the Ready condition is {Condition(o, "Ready")?.Status}");
                }
            }
            return problems;
        }

        /// <summary>What must hold once the operator is quiet: no ECS cluster is managed by two objects. (While a step's
        /// effects are still being noticed, a former owner may show Ready until the drift scan sees another's tag.)</summary>
        private static List<string> SingleOwners(Dictionary<string, ECSCluster> objects, Dictionary<string, EcsView> ecs)
        {
            var problems = new List<string>();
            foreach (var group in objects.Values.Where(IsReady).GroupBy(o => o.Spec.ClusterName))
            {
                if (group.Count() > 1)
                {
                    problems.Add($"{group.Key} is Ready for {string.Join(" and ", group.Select(o => o.Metadata.Name))}");
                }
                var tag = ecs.GetValueOrDefault(group.Key)?.Owner;
                foreach (var o in group.Where(o => tag != Ownership.Owner(o)))
                {
                    problems.Add($"{o.Metadata.Name} is Ready for {group.Key}, whose ownership tag names {tag ?? "nobody"}");
                }
            }
            return problems;
        }

        /// <summary>Empty once every object is where its request can take it and every deletion is done.</summary>
        private List<string> Convergence(Dictionary<string, ECSCluster> objects, Dictionary<string, EcsView> ecs, Dictionary<string, AWSProvider> providers)
        {
            var problems = new List<string>();
            foreach (var o in objects.Values.Where(o => o.Metadata.DeletionTimestamp is not null))
            {
                problems.Add($"{o.Metadata.Name} is still being deleted ({Reason(o, ClusterConditions.DeletionBlocked)})");
            }
            var usable = new List<ECSCluster>();
            foreach (var o in objects.Values.Where(o => o.Metadata.DeletionTimestamp is null))
            {
                if (o.Status?.ObservedGeneration != o.Metadata.Generation)
                {
                    problems.Add($"{o.Metadata.Name}: generation {o.Metadata.Generation} not observed yet");
                    continue;
                }
                var provider = providers.GetValueOrDefault(o.Spec.ProviderRef.Name);
                if (provider is null)
                {
                    if (Reason(o) != ClusterConditions.Reasons.ProviderNotFound || IsReady(o))
                    {
                        problems.Add($"{o.Metadata.Name}: its provider is gone, but it reports {Reason(o)}");
                    }
                    continue;
                }
                if (provider.Status?.Ready != true)
                {
                    problems.Add($"provider {provider.Metadata.Name} not ready");
                    continue;
                }
                usable.Add(o);
            }
            foreach (var group in usable.GroupBy(o => o.Spec.ClusterName))
            {
                var name = group.Key;
                if (ecs.GetValueOrDefault(name) is not { Live: true } cluster)
                {
                    problems.Add($"{name} is wanted by {string.Join(", ", group.Select(o => o.Metadata.Name))} but not in ECS");
                    continue;
                }
                var tagOwner = Ownership.ParseOwner(cluster.Owner)?.Name;
                var owner = tagOwner is null ? null : objects.GetValueOrDefault(tagOwner);
                foreach (var o in group)
                {
                    var expected = owner is not null && owner.Spec.ClusterName == name && o == owner ? "Ready"
                        : owner is not null ? ClusterConditions.Reasons.OwnedByAnotherObject
                        : cluster.Owner is null ? ClusterConditions.Reasons.AdoptionRequired
                        : ClusterConditions.Reasons.OwnedByAnotherObject;
                    var actual = IsReady(o) ? "Ready" : Reason(o);
                    if (actual != expected)
                    {
                        problems.Add($"{o.Metadata.Name} ({name}, owner tag {cluster.Owner ?? "none"}): expected {expected}, is {actual}");
                    }
                    if (owner is null && (o.Spec.AdoptExisting == true || Ownership.RecordedArn(o) == cluster.Arn))
                    {
                        problems.Add($"{o.Metadata.Name} may take {name} (adoptExisting or its recorded ARN) but has not");
                    }
                }
                if (owner is not null && owner.Spec.ClusterName == name && IsReady(owner)
                    && owner.Spec.Tags?.GetValueOrDefault("rev") is { } rev && cluster.Tags.GetValueOrDefault("rev") != rev)
                {
                    problems.Add($"{name} has tag rev={cluster.Tags.GetValueOrDefault("rev")}, its owner {owner.Metadata.Name} asks for {rev}");
                }
            }
            return problems;
        }

        /// <summary>Between two quiet points, ECS changed only where a step asked.</summary>
        private List<string> History(Dictionary<string, ECSCluster> objects, Dictionary<string, EcsView> ecs)
        {
            var problems = new List<string>();
            foreach (var before in _previous.Values.Where(c => c.Live))
            {
                var now = ecs.GetValueOrDefault(before.Name);
                if (now is not { Live: true } && !_deletionAsked.Contains(before.Name))
                {
                    problems.Add($"{before.Name} was deleted, but no step deleted it nor an object of it with deletionPolicy Delete");
                }
                if (now is { Live: true } && !_touched.Contains(before.Name)
                    && !(now.Owner == before.Owner && now.Tags.Count == before.Tags.Count && now.Tags.All(t => before.Tags.GetValueOrDefault(t.Key) == t.Value)))
                {
                    problems.Add($"{before.Name} changed (owner {before.Owner} -> {now.Owner}) but no step touched it");
                }
            }
            // A cluster's ownership tag moved straight from one object to another: allowed only when the first one was
            // gone (adoption of an orphan), never while it still existed (that is stealing).
            var changes = bed.Aws.Ecs.TagChanges;
            foreach (var change in changes.Skip(_tagChangesSeen))
            {
                var from = change.Before.FirstOrDefault(t => t.Key == Ownership.TagKey)?.Value;
                var to = change.After.FirstOrDefault(t => t.Key == Ownership.TagKey)?.Value;
                var fromName = Ownership.ParseOwner(from)?.Name;
                var fromWasGone = fromName is null || (!_previousObjects.ContainsKey(fromName) && !_created.Contains(fromName))
                    || _objectDeletions.Any(d => d.Name == fromName);
                if (from is not null && to is not null && from != to && !fromWasGone)
                {
                    problems.Add($"{change.ClusterName}: ownership tag moved from {from} to {to} while {from} existed");
                }
            }
            _tagChangesSeen = changes.Count;
            foreach (var (name, policy) in _objectDeletions)
            {
                if (objects.ContainsKey(name) || _previousObjects.GetValueOrDefault(name) is not { } gone)
                {
                    continue; // re-created meanwhile, or deleted before it was ever seen
                }
                var cluster = ecs.GetValueOrDefault(gone.Spec.ClusterName);
                if (cluster is { Live: true } && cluster.Owner == Ownership.Owner(gone))
                {
                    problems.Add($"{name} is gone ({policy}) but ECS cluster {gone.Spec.ClusterName} still carries its ownership tag");
                }
            }
            return problems;
        }

        private string Dump(Dictionary<string, ECSCluster> objects, Dictionary<string, EcsView> ecs) =>
            "objects:\n" + string.Join("\n", objects.Values.OrderBy(o => o.Metadata.Name, StringComparer.Ordinal).Select(o =>
                $"  {o.Metadata.Name}: {_intents.GetValueOrDefault(o.Metadata.Name)} gen={o.Metadata.Generation}/{o.Status?.ObservedGeneration} "
                + $"deleting={o.Metadata.DeletionTimestamp is not null} ready={o.Status?.Ready} arn={Ownership.RecordedArn(o)} conditions="
                + string.Join(" | ", (o.Status?.Conditions ?? []).Select(c => $"{c.Type}={c.Status}/{c.Reason}: {c.Message}"))))
            + "\necs:\n" + string.Join("\n", ecs.Values.Select(c => $"  {c.Name}: {c.Status} owner={c.Owner} tags={string.Join(",", c.Tags.Select(t => $"{t.Key}={t.Value}"))}"));

        private async Task<Dictionary<string, ECSCluster>> ListObjectsAsync()
        {
            var list = await bed.Client.CustomObjects.ListNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, Ns, ECSCluster.PluralName);
            return (EcsOperatorModule.Json.Deserialize<ListPage<ECSCluster>>(EcsOperatorModule.Json.Serialize(list)).Items ?? [])
                .ToDictionary(o => o.Metadata.Name, StringComparer.Ordinal);
        }

        private async Task<Dictionary<string, AWSProvider>> ListProvidersAsync()
        {
            var list = await bed.Client.CustomObjects.ListNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, Ns, AWSProvider.PluralName);
            return (EcsOperatorModule.Json.Deserialize<ListPage<AWSProvider>>(EcsOperatorModule.Json.Serialize(list)).Items ?? [])
                .ToDictionary(o => o.Metadata.Name, StringComparer.Ordinal);
        }

        private Task<Dictionary<string, EcsView>> ReadEcsAsync()
        {
            var response = bed.Aws.Ecs.DescribeClusters(OperatorTestBed.Account, "us-east-1", new EcsModel.DescribeClustersRequest
            {
                Clusters = [.. ClusterNames, "contested"], Include = EcsModel.ClusterField.All,
            });
            return Task.FromResult((response.Clusters ?? []).ToDictionary(c => c.ClusterName!, c => new EcsView(c.ClusterName!, c.ClusterArn!, c.Status!,
                Ownership.OwnerOf(c), (c.Tags ?? []).GroupBy(t => t.Key!).ToDictionary(g => g.Key, g => g.First().Value ?? "")), StringComparer.Ordinal));
        }
    }

    private static V1Condition? Condition(ECSCluster o, string type) => Conditions.Find(o.Status?.Conditions, type);

    private static bool IsReady(ECSCluster o) => Condition(o, "Ready")?.Status == Conditions.True;

    private static string? Reason(ECSCluster o, string type = "Ready") => Condition(o, type)?.Reason;
}

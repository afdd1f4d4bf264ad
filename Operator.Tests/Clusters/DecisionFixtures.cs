using Operator.Core.Api.V1Alpha1;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Tests.Clusters;

/// <summary>
/// Objects, observations and readings of plans for the tests of the reconcilers' pure decisions. The clock is a
/// <see cref="FakeTimeProvider"/>: an observation reads it once, as a pass does, and a test moves it to cross a grace.
/// </summary>
internal sealed class DecisionFixtures
{
    public const string Account = "123456789012";
    public const string Region = "us-east-1";
    public const string Arn = $"arn:aws:ecs:{Region}:{Account}:cluster/c";

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public DateTime Now => Time.GetUtcNow().UtcDateTime;

    /// <summary>A provider that authenticated for its current generation.</summary>
    public AWSProvider Provider(Action<AWSProvider>? edit = null)
    {
        var provider = new AWSProvider
        {
            Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "default", Generation = 1, Uid = "p-uid", CreationTimestamp = Now.AddHours(-1) },
            Spec = new AWSProviderSpec { Region = Region },
            Status = new AWSProviderStatus
            {
                Ready = true, AccountID = Account, ObservedGeneration = 1,
                Conditions = [new V1Condition { Type = ProviderConditions.Ready, Status = Conditions.True, Reason = ProviderConditions.Reasons.Authenticated, Message = "ok", ObservedGeneration = 1 }],
            },
        };
        edit?.Invoke(provider);
        return provider;
    }

    /// <summary>An ECSCluster "default/c" naming ECS cluster "c", created an hour ago (past every grace), with our finalizer.</summary>
    public ECSCluster Cluster(Action<ECSCluster>? edit = null)
    {
        var obj = new ECSCluster
        {
            Metadata = new V1ObjectMeta
            {
                Name = "c", NamespaceProperty = "default", Generation = 2, Uid = "c-uid", CreationTimestamp = Now.AddHours(-1),
                Finalizers = [ApiGroup.Finalizer],
            },
            Spec = new ECSClusterSpec { ProviderRef = new ProviderReference { Name = "p" }, ClusterName = "c" },
        };
        edit?.Invoke(obj);
        return obj;
    }

    /// <summary>An object that created its cluster: the ARN recorded, the status showing it ACTIVE, ready and synced.</summary>
    public ECSCluster Owning(Action<ECSCluster>? edit = null) => Cluster(obj =>
    {
        obj.Metadata.Annotations = new Dictionary<string, string> { [Ownership.CreatedArnAnnotation] = Arn };
        obj.Status = new ECSClusterStatus
        {
            ClusterARN = Arn, Status = Ecs.ClusterStatus.Active, Ready = true,
            Conditions =
            [
                new V1Condition { Type = ClusterConditions.Ready, Status = Conditions.True, Reason = ClusterConditions.Reasons.Active, Message = "ECS cluster c is ACTIVE", ObservedGeneration = 2 },
                new V1Condition { Type = ClusterConditions.Synced, Status = Conditions.True, Reason = ClusterConditions.Reasons.Synced, Message = "the ECS cluster matches the spec", ObservedGeneration = 2 },
            ],
        };
        edit?.Invoke(obj);
    });

    public static void Deleted(ECSCluster obj) => obj.Metadata.DeletionTimestamp = DateTime.UnixEpoch.AddYears(56);

    public ProviderResolution Ready(AWSProvider? provider = null) => new(provider ?? Provider(), Account, null, null);

    public ClusterObservation Observe(ECSCluster obj, ProviderResolution? resolution = null) =>
        new() { Obj = obj, Resolution = resolution ?? Ready(), Now = Now };

    /// <summary>An ECS cluster "c" as DescribeClusters answers, tagged as owned by <paramref name="owner"/> (null: untagged).</summary>
    public static Ecs.Cluster Described(string status = Ecs.ClusterStatus.Active, string? owner = "default/c", params Ecs.Tag[] tags) => new()
    {
        ClusterArn = Arn, ClusterName = "c", Status = status,
        Tags = [.. tags, .. owner is null ? Array.Empty<Ecs.Tag>() : [new Ecs.Tag(Ownership.TagKey, owner)]],
    };

    public static k8s.Autorest.HttpOperationException ApiError(HttpStatusCode code) => new($"HTTP {(int)code}")
    {
        Response = new k8s.Autorest.HttpResponseMessageWrapper(new HttpResponseMessage(code), ""),
    };

    public static ECSClusterStatus Written(ClusterPlan plan) => plan.Effects.OfType<WriteStatus>().Should().ContainSingle().Subject.Status;

    public static V1Condition Condition(ECSClusterStatus status, string type) =>
        Conditions.Find(status.Conditions, type) ?? throw new AssertionException($"no {type} condition in {string.Join(", ", status.Conditions?.Select(c => c.Type) ?? [])}");

    /// <summary>The events of a plan as "Severity Reason".</summary>
    public static IEnumerable<string> EventsOf(ClusterPlan plan) => plan.Effects.OfType<RecordEvent>().Select(e => $"{e.Severity} {e.Reason}");

    public static RecordEvent Event(ClusterPlan plan, string reason) => plan.Effects.OfType<RecordEvent>().Should().ContainSingle(e => e.Reason == reason).Subject;

    public static string ConditionStatus(bool? value) => value switch { true => Conditions.True, false => Conditions.False, null => Conditions.Unknown };

    public static RecordEvent Warning(string reason) => new(EventSeverity.Warning, reason, "");
}

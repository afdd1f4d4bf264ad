using Ecs = Operator.Core.Aws.Ecs.Model;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Bulkheads;
using static Operator.Tests.Clusters.DecisionFixtures;

namespace Operator.Tests.Clusters;

/// <summary>
/// <see cref="ClusterDecision.Decide"/> for an ECSCluster being deleted, branch by branch: never created, retained and
/// released, a provider that no longer admits it, a provider that cannot be used (every DeletionBlocked reason), the
/// check before DeleteCluster, ECS's answers and refusals, another finalizer still holding the object, and failures.
/// </summary>
[TestFixture]
public sealed class ClusterDeletionDecisionTests : ClusterDecisionTable
{

    private ECSCluster Deleting(Action<ECSCluster>? edit = null) => Fixtures.Owning(obj =>
    {
        Deleted(obj);
        obj.Metadata.Generation = 3;
        edit?.Invoke(obj);
    });

    private ClusterObservation Entered(ECSCluster obj, ProviderResolution? resolution = null) =>
        Fixtures.Observe(obj, resolution) with { Entered = new SlotAnswer(true, false) };

    private static void AnotherFinalizer(ECSCluster obj) => obj.Metadata.Finalizers = [ApiGroup.Finalizer, "example.com/backup"];

    [Test]
    public void Without_our_finalizer_there_is_nothing_to_do()
    {
        var plan = Decide(Fixtures.Observe(Deleting(o => o.Metadata.Finalizers = ["example.com/backup"])));
        plan.Effects.Should().BeEmpty();
        plan.Next.Should().BeNull();
    }

    [Test]
    public void An_object_that_never_reached_ECS_is_finalized_without_any_AWS_call_or_provider()
    {
        var obj = Fixtures.Cluster(Deleted);
        var plan = Decide(Fixtures.Observe(obj, ProviderResolution.Fail(ProviderResolver.Reasons.ProviderNotFound, "gone")));
        EventsOf(plan).Should().Equal("Normal Deleted");
        Event(plan, "Deleted").Message.Should().EndWith("was never created by this object; nothing to delete");
        plan.Effects.Should().EndWith(new RemoveFinalizer());
        plan.Effects.OfType<WriteStatus>().Should().BeEmpty("without another finalizer the object goes at once");
        plan.Next.Should().BeNull();
    }

    [Test]
    public void Another_finalizer_gets_the_status_written_before_ours_is_removed()
    {
        var obj = Fixtures.Cluster(o => { Deleted(o); AnotherFinalizer(o); });
        var plan = Decide(Fixtures.Observe(obj));

        var write = plan.Effects.ToList().FindIndex(e => e is WriteStatus);
        write.Should().BeLessThan(plan.Effects.ToList().FindIndex(e => e is RemoveFinalizer));
        var status = Written(plan);
        Condition(status, ClusterConditions.Ready).Should().Match<V1Condition>(c => c.Status == "False" && c.Reason == "Deleting" && c.Message.EndsWith("the object waits for its other finalizers"));
        Condition(status, ClusterConditions.Synced).Reason.Should().Be("Deleting");
        status.Phase.Should().Be(ClusterStatusRule.Deleting);
    }

    [Test]
    public void A_provider_check_under_way_is_waited_for()
    {
        var waiting = ProviderResolution.Fail(ProviderResolver.Reasons.ProviderNotReady, "not validated yet", Fixtures.Provider()) with { AwaitingValidation = true };
        var plan = Decide(Fixtures.Observe(Deleting(), waiting));
        plan.Effects.Should().BeEmpty();
        plan.Result.Should().Be(ReconcileResult.Done);
    }

    [Test]
    public void Retain_releases_the_cluster_it_owns()
    {
        var obj = Deleting(o => o.Spec.DeletionPolicy = DeletionPolicy.Retain);
        var o = Fixtures.Observe(obj);
        Decide(o).Next.Should().BeOfType<DescribeRetained>().Which.Target.ForDeletion.Should().BeTrue();

        var seen = o with { Retained = new Reach(Described(), null) };
        Decide(seen).Next.Should().Be(new ReleaseTag(new EcsTarget(o.Resolution.Provider!, Account, true), Arn));

        var plan = Decide(seen with { Untagged = new Reach(null, null) });
        EventsOf(plan).Should().Equal("Normal Released", "Normal Retained");
        Event(plan, "Retained").Message.Should().Be("Kept ECS cluster c (deletionPolicy: Retain)");
        plan.Effects.Should().EndWith(new RemoveFinalizer());
    }

    [TestCase(true, false)]
    [TestCase(false, true)]
    public void Retain_that_cannot_release_still_finishes_and_says_so(bool describeFails, bool untagFails)
    {
        var o = Fixtures.Observe(Deleting(d => d.Spec.DeletionPolicy = DeletionPolicy.Retain)) with
        {
            Retained = new Reach(describeFails ? null : Described(), describeFails ? "denied" : null),
            Untagged = untagFails ? new Reach(null, "denied") : null,
        };
        var plan = Decide(o);
        EventsOf(plan).Should().Equal("Normal Retained");
        Event(plan, "Retained").Message.Should().Contain("its ownership tag could not be removed");
        plan.Effects.OfType<LogLine>().Should().ContainSingle(l => l.Level == LogLevel.Warning);
        plan.Effects.Should().EndWith(new RemoveFinalizer());
    }

    [Test]
    public void Retain_never_removes_another_objects_tag()
    {
        var o = Fixtures.Observe(Deleting(d => d.Spec.DeletionPolicy = DeletionPolicy.Retain)) with { Retained = new Reach(Described(owner: "default/other"), null) };
        var plan = Decide(o);
        plan.Next.Should().BeNull();
        EventsOf(plan).Should().Equal("Normal Retained");
        Event(plan, "Retained").Message.Should().Be("Kept ECS cluster c (deletionPolicy: Retain)");
    }

    [Test]
    public void Retain_through_an_unusable_provider_makes_no_AWS_call()
    {
        var plan = Decide(Fixtures.Observe(Deleting(d => d.Spec.DeletionPolicy = DeletionPolicy.Retain), ProviderResolution.Fail(ProviderResolver.Reasons.ProviderNotFound, "gone")));
        plan.Next.Should().BeNull();
        Event(plan, "Retained").Message.Should().Contain("could not be removed");
    }

    [Test]
    public void A_provider_that_no_longer_admits_the_namespace_leaves_the_cluster_in_place()
    {
        var plan = Decide(Fixtures.Observe(Deleting(), ProviderResolution.Fail(ProviderResolver.Reasons.ProviderNotAllowed, "not allowed")));
        EventsOf(plan).Should().Equal("Warning NotDeleted");
        Event(plan, "NotDeleted").Message.Should().StartWith($"Left ECS cluster {Arn} in place without any AWS call: not allowed");
        plan.Next.Should().BeNull();
        plan.Effects.Should().EndWith(new RemoveFinalizer());
    }

    [TestCase(ProviderResolver.Reasons.ProviderNotFound)]
    [TestCase(ProviderResolver.Reasons.ProviderNotReady)]
    [TestCase(ProviderCredentialsReasons.SecretNotFound)]
    public void A_provider_that_cannot_be_used_blocks_deletion_with_the_ways_out(string reason)
    {
        var plan = Decide(Fixtures.Observe(Deleting(), ProviderResolution.Fail(reason, "it is broken")));
        AssertBlocked(plan, reason, "Fix the provider, or set spec.deletionPolicy: Retain");
    }

    [Test]
    public void A_missing_Secret_is_named_in_the_blocked_message()
    {
        var provider = Fixtures.Provider(p =>
        {
            p.Status!.Ready = false;
            p.Status.Conditions = [new V1Condition { Type = ProviderConditions.Ready, Status = "False", Reason = ProviderCredentialsReasons.SecretNotFound, Message = "x", ObservedGeneration = 1 }];
        });
        var plan = Decide(Fixtures.Observe(Deleting(), ProviderResolution.Fail(ProviderResolver.Reasons.ProviderNotReady, "not ready", provider)));
        AssertBlocked(plan, ProviderResolver.Reasons.ProviderNotReady, "Re-create the Secret");
    }

    [Test]
    public void A_provider_of_another_account_blocks_deletion()
    {
        var obj = Deleting(o => o.Metadata.Annotations![Ownership.CreatedArnAnnotation] = "arn:aws:ecs:eu-west-1:999999999999:cluster/c");
        AssertBlocked(Decide(Fixtures.Observe(obj)), ClusterConditions.Reasons.ProviderChangeRefused, "set spec.providerRef back");
    }

    [Test]
    public void Deletion_takes_the_slot_without_the_names_lock_then_checks_with_the_deletion_credentials()
    {
        var o = Fixtures.Observe(Deleting());
        Decide(o).Next.Should().Be(new EnterSlot("default/p", null));
        Decide(o with { Entered = new SlotAnswer(false, true) }).Result.Should().Be(ReconcileResult.Done);

        var lookup = Decide(Entered(Deleting()));
        lookup.Effects.Should().BeEmpty("no finalizer is added to an object being deleted");
        lookup.Next.Should().BeOfType<LookUp>().Which.Target.ForDeletion.Should().BeTrue();
    }

    [TestCase(false)]
    [TestCase(true)]
    public void A_cluster_already_gone_finishes_the_deletion(bool anotherFinalizer)
    {
        var obj = Deleting(o => { if (anotherFinalizer) { AnotherFinalizer(o); } });
        var plan = Decide(Entered(obj) with { Found = new Seen(null) });
        EventsOf(plan).Should().Equal("Normal Deleted");
        plan.Effects.Should().EndWith(new RemoveFinalizer());
        if (anotherFinalizer)
        {
            Written(plan).Status.Should().Be(Ecs.ClusterStatus.Inactive);
            Condition(Written(plan), ClusterConditions.Ready).ObservedGeneration.Should().Be(3, "the generation the API server set with deletionTimestamp");
        }
        else
        {
            plan.Effects.OfType<WriteStatus>().Should().BeEmpty();
        }
    }

    [Test]
    public void A_cluster_that_is_not_ours_is_never_deleted()
    {
        var plan = Decide(Entered(Deleting()) with { Found = new Seen(Described(owner: "default/other")) });
        EventsOf(plan).Should().Equal("Warning NotDeleted");
        plan.Next.Should().BeNull();
        plan.Effects.Should().EndWith(new RemoveFinalizer());
    }

    [Test]
    public void An_owned_cluster_is_deleted_by_its_ARN()
    {
        var o = Entered(Deleting()) with { Found = new Seen(Described()) };
        Decide(o).Next.Should().BeOfType<DeleteCluster>().Which.Cluster.Should().Be(Arn);

        var gone = Decide(o with { Deleted = new DeleteAnswer(Described(Ecs.ClusterStatus.Inactive), null) });
        EventsOf(gone).Should().Equal("Normal Deleted");
        Event(gone, "Deleted").Message.Should().Be("Deleted ECS cluster c");
        gone.Effects.Should().EndWith(new RemoveFinalizer());
    }

    [Test]
    public void A_cluster_ECS_is_still_deleting_is_watched()
    {
        var o = Entered(Deleting()) with { Found = new Seen(Described()), Deleted = new DeleteAnswer(Described(Ecs.ClusterStatus.Deprovisioning), null) };
        var plan = Decide(o);
        var status = Written(plan);
        Condition(status, ClusterConditions.Ready).Should().Match<V1Condition>(c => c.Status == "False" && c.Reason == "Deleting");
        Condition(status, ClusterConditions.Synced).Message.Should().Be("waiting for ECS to finish deleting ECS cluster c (DEPROVISIONING)");
        status.Phase.Should().Be(ClusterStatusRule.Deleting);
        status.LastSyncTime.Should().Be(Fixtures.Now);
        plan.Effects.Should().NotContain(new RemoveFinalizer());
        plan.Result.Should().Be(ReconcileResult.After(Options.TransitionRequeue));
    }

    [Test]
    public void A_cluster_ECS_no_longer_knows_is_deleted_without_an_event()
    {
        var o = Entered(Deleting()) with { Found = new Seen(Described()), Deleted = new DeleteAnswer(null, new ClusterNotFoundException("gone", HttpStatusCode.BadRequest, null)) };
        var plan = Decide(o);
        plan.Effects.Should().Equal(new RemoveFinalizer());
    }

    public static IEnumerable<TestCaseData> Refusals()
    {
        yield return new TestCaseData(new ClusterContainsServicesException("x", HttpStatusCode.BadRequest, null), ClusterConditions.Reasons.ClusterContainsServices);
        yield return new TestCaseData(new ClusterContainsTasksException("x", HttpStatusCode.BadRequest, null), ClusterConditions.Reasons.ClusterContainsTasks);
        yield return new TestCaseData(new ClusterContainsContainerInstancesException("x", HttpStatusCode.BadRequest, null), ClusterConditions.Reasons.ClusterContainsContainerInstances);
    }

    [TestCaseSource(nameof(Refusals))]
    public void A_refusal_names_what_blocks_the_deletion(EcsException refusal, string reason)
    {
        var cluster = Described() with { ActiveServicesCount = 1 };
        var o = Entered(Deleting()) with { Found = new Seen(cluster), Deleted = new DeleteAnswer(null, refusal) };
        Decide(o).Next.Should().Be(new ListBlockers(new EcsTarget(o.Resolution.Provider!, Account, true), cluster, refusal));

        var plan = Decide(o with { Blockers = ["services: web"] });
        AssertBlocked(plan, reason, "ECS refuses to delete cluster c while it has 1 active service, 0 running tasks, 0 pending tasks and 0 registered container instances; services: web; retrying every 30s");
        Written(plan).ActiveServicesCount.Should().Be(1, "the counts DescribeClusters gave are shown");
    }

    [Test]
    public void A_failure_of_the_deletion_is_reported_as_a_generic_failure()
    {
        var denied = new AccessDeniedException("AccessDeniedException", "not allowed to delete", HttpStatusCode.BadRequest, null);
        var o = Entered(Deleting()) with { Found = new Seen(Described()), Failure = denied, Reportable = true };
        var plan = Decide(o);
        Condition(Written(plan), ClusterConditions.Synced).Reason.Should().Be(ReconcileFailure.AwsError, "deletion has no AccessDenied reason of its own");
        EventsOf(plan).Should().Equal("Warning AwsError");
        plan.Rethrow.Should().BeOfType<ReportedFailureException>();
    }

    [Test]
    public void A_failure_while_blocking_deletion_ends_the_pass_as_it_is()
    {
        var broken = ApiError(HttpStatusCode.InternalServerError);
        var plan = Decide(Fixtures.Observe(Deleting(), ProviderResolution.Fail(ProviderResolver.Reasons.ProviderNotFound, "gone")) with { Failure = broken });
        plan.Effects.Should().BeEmpty();
        plan.Rethrow.Should().BeSameAs(broken);
    }

    private static void AssertBlocked(ClusterPlan plan, string reason, string message)
    {
        var status = Written(plan);
        Condition(status, ClusterConditions.DeletionBlocked).Should().Match<V1Condition>(c => c.Status == "True" && c.Reason == reason && c.Message.Contains(message));
        Condition(status, ClusterConditions.Synced).Should().Match<V1Condition>(c => c.Status == "False" && c.Reason == reason);
        Condition(status, ClusterConditions.Ready).Should().Match<V1Condition>(c => c.Status == "False" && c.Reason == ClusterConditions.Reasons.Deleting);
        status.Phase.Should().Be(ClusterStatusRule.DeletionBlocked);
        Event(plan, ClusterConditions.EventReasons.DeletionBlocked).Should().Match<RecordEvent>(e => e.Severity == EventSeverity.Warning && e.Series == reason);
        plan.Next.Should().BeNull();
        plan.Result.Should().Be(ReconcileResult.After(Options.BlockedRequeue));
    }
}

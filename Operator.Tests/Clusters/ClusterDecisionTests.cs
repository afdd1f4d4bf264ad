using Ecs = Operator.Core.Aws.Ecs.Model;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Http;
using Operator.Core.Aws.Resilience;
using Operator.Core.Bulkheads;
using static Operator.Tests.Clusters.DecisionFixtures;

namespace Operator.Tests.Clusters;

/// <summary>
/// <see cref="ClusterDecision.Decide"/> for a live ECSCluster, branch by branch: each case is an observation (the object,
/// its provider, the answers so far, a <see cref="Microsoft.Extensions.Time.Testing.FakeTimeProvider"/>'s reading) and
/// the plan it must give: the status written (its conditions' status and reason), the Events, the next step, the
/// result. Every condition reason the README lists for a live ECSCluster appears here.
/// </summary>
[TestFixture]
public sealed class ClusterDecisionTests : ClusterDecisionTable
{

    /// <summary>The observation of a pass that entered its slot, found <paramref name="found"/> and got the other answers given.</summary>
    private ClusterObservation Found(ECSCluster obj, Ecs.Cluster? found, ProviderResolution? resolution = null) =>
        Fixtures.Observe(obj, resolution) with { Entered = new SlotAnswer(true, false), Found = new Seen(found) };

    [Test]
    public void An_invalid_spec_is_reported_without_any_AWS_call_and_not_retried()
    {
        var plan = Decide(Fixtures.Observe(Fixtures.Cluster(c => c.Spec.ClusterName = "no spaces allowed")));

        var status = Written(plan);
        Condition(status, ClusterConditions.InvalidSpec).Should().Match<V1Condition>(c => c.Status == "True" && c.Reason == "InvalidSpec" && c.Message.StartsWith("spec.clusterName:"));
        Condition(status, ClusterConditions.Synced).Should().Match<V1Condition>(c => c.Status == "False" && c.Reason == "InvalidSpec");
        Condition(status, ClusterConditions.Ready).Should().Match<V1Condition>(c => c.Status == "False" && c.Reason == "InvalidSpec");
        status.Ready.Should().BeFalse();
        status.ObservedGeneration.Should().Be(2);
        EventsOf(plan).Should().Equal("Warning InvalidSpec");
        plan.Next.Should().BeNull("no AWS call, no slot");
        plan.Result.Should().Be(ReconcileResult.Done);
    }

    [Test]
    public void A_valid_spec_clears_an_earlier_InvalidSpec_condition()
    {
        var obj = Fixtures.Owning(c => c.Status!.Conditions!.Add(new V1Condition { Type = ClusterConditions.InvalidSpec, Status = "True", Reason = "InvalidSpec", Message = "x" }));
        var plan = Decide(Found(obj, Described()));
        Written(plan).Conditions.Should().NotContain(c => c.Type == ClusterConditions.InvalidSpec);
    }

    [TestCase(ProviderResolver.Reasons.ProviderNotFound)]
    [TestCase(ProviderResolver.Reasons.ProviderNotAllowed)]
    [TestCase(ProviderResolver.Reasons.ProviderNotReady)]
    public void A_provider_that_cannot_be_used_is_reported_with_a_Warning_and_retried(string reason)
    {
        var plan = Decide(Fixtures.Observe(Fixtures.Cluster(), ProviderResolution.Fail(reason, $"because {reason}")));

        var status = Written(plan);
        Condition(status, ClusterConditions.ProviderNotReady).Should().Match<V1Condition>(c => c.Status == "True" && c.Reason == reason && c.Message == $"because {reason}");
        Condition(status, ClusterConditions.Synced).Should().Match<V1Condition>(c => c.Status == "False" && c.Reason == reason);
        Condition(status, ClusterConditions.Ready).Should().Match<V1Condition>(c => c.Status == "False" && c.Reason == reason);
        EventsOf(plan).Should().Equal($"Warning {reason}");
        plan.Next.Should().BeNull();
        plan.Result.Should().Be(ReconcileResult.After(Options.BlockedRequeue));
    }

    [Test]
    public void A_provider_missing_just_after_creation_is_waited_for_without_a_Warning_until_the_grace_is_over()
    {
        var obj = Fixtures.Cluster(c => c.Metadata.CreationTimestamp = Fixtures.Now.AddSeconds(-20));
        var missing = ProviderResolution.Fail(ProviderResolver.Reasons.ProviderNotFound, "AWSProvider default/p not found");

        var early = Decide(Fixtures.Observe(obj, missing));
        Condition(Written(early), ClusterConditions.ProviderNotReady).Reason.Should().Be(ProviderResolver.Reasons.ProviderNotFound);
        EventsOf(early).Should().BeEmpty("applied together, the provider's watch event can come second");
        early.Result.Should().Be(ReconcileResult.After(TimeSpan.FromSeconds(10)), "woken at the end of the grace");

        Fixtures.Time.Advance(TimeSpan.FromSeconds(10));
        var late = Decide(Fixtures.Observe(obj, missing));
        EventsOf(late).Should().Equal("Warning ProviderNotFound");
        late.Result.Should().Be(ReconcileResult.After(Options.BlockedRequeue));
    }

    [Test]
    public void A_provider_not_allowed_gets_its_Warning_even_within_the_grace()
    {
        var obj = Fixtures.Cluster(c => c.Metadata.CreationTimestamp = Fixtures.Now.AddSeconds(-1));
        var plan = Decide(Fixtures.Observe(obj, ProviderResolution.Fail(ProviderResolver.Reasons.ProviderNotAllowed, "not allowed")));
        EventsOf(plan).Should().Equal("Warning ProviderNotAllowed");
    }

    [Test]
    public void A_provider_not_validated_yet_is_a_wait_without_Warning_nor_timer()
    {
        var waiting = ProviderResolution.Fail(ProviderResolver.Reasons.ProviderNotReady, "AWSProvider default/p is not ready (not validated yet)",
            Fixtures.Provider(p => p.Status = null)) with { AwaitingValidation = true };
        var plan = Decide(Fixtures.Observe(Fixtures.Cluster(), waiting));

        Condition(Written(plan), ClusterConditions.ProviderNotReady).Status.Should().Be("True");
        EventsOf(plan).Should().BeEmpty();
        plan.Result.Should().Be(ReconcileResult.Done, "the provider's status write wakes the cluster");
    }

    [Test]
    public void A_provider_being_checked_again_after_it_authenticated_costs_no_write()
    {
        var rechecking = ProviderResolution.Fail(ProviderResolver.Reasons.ProviderNotReady, "not validated yet",
            Fixtures.Provider(p => p.Metadata.Generation = 2)) with { AwaitingValidation = true };
        var plan = Decide(Fixtures.Observe(Fixtures.Owning(), rechecking));

        plan.Effects.Should().BeEmpty("no flap to Unknown while nothing is known to be wrong");
        plan.Next.Should().BeNull();
        plan.Result.Should().Be(ReconcileResult.Done);
    }

    [TestCase(true, null)]
    [TestCase(false, false)]
    public void Ready_is_Unknown_when_the_provider_fails_under_a_cluster_that_was_ready(bool wasReady, bool? ready)
    {
        var obj = Fixtures.Owning(c => c.Status!.Ready = wasReady);
        var plan = Decide(Fixtures.Observe(obj, ProviderResolution.Fail(ProviderResolver.Reasons.ProviderNotReady, "broken")));
        Condition(Written(plan), ClusterConditions.Ready).Status.Should().Be(ConditionStatus(ready));
    }

    [Test]
    public void A_provider_of_another_account_is_refused_without_any_AWS_call()
    {
        var elsewhere = Fixtures.Owning(c => c.Metadata.Annotations![Ownership.CreatedArnAnnotation] = "arn:aws:ecs:eu-west-1:999999999999:cluster/c");
        var plan = Decide(Fixtures.Observe(elsewhere));

        var status = Written(plan);
        Condition(status, ClusterConditions.Synced).Should().Match<V1Condition>(c => c.Status == "False" && c.Reason == "ProviderChangeRefused" && c.Message.Contains("999999999999"));
        Condition(status, ClusterConditions.Ready).Should().Match<V1Condition>(c => c.Status == "False" && c.Reason == "ProviderChangeRefused");
        status.Ready.Should().BeFalse();
        EventsOf(plan).Should().Equal("Warning ProviderChangeRefused");
        plan.Next.Should().BeNull();
        plan.Result.Should().Be(ReconcileResult.Done);
    }

    [Test]
    public void A_usable_provider_first_takes_the_slot_and_the_names_lock()
    {
        var plan = Decide(Fixtures.Observe(Fixtures.Cluster()));
        plan.Effects.Should().BeEmpty();
        plan.Next.Should().Be(new EnterSlot("default/p", new ClusterName(Account, Region, "c")));
    }

    [TestCase(true, 0)]
    [TestCase(false, 2)]
    public void A_pass_without_a_slot_parks_or_retries_on_a_timer(bool parked, int seconds)
    {
        var plan = Decide(Fixtures.Observe(Fixtures.Cluster()) with { Entered = new SlotAnswer(false, parked) });
        plan.Effects.Should().BeEmpty();
        plan.Next.Should().BeNull();
        plan.Result.Should().Be(parked ? ReconcileResult.Done : ReconcileResult.After(TimeSpan.FromSeconds(seconds)));
    }

    [Test]
    public void The_finalizer_comes_before_the_lookup_and_only_once()
    {
        var entered = Fixtures.Observe(Fixtures.Cluster()) with { Entered = new SlotAnswer(true, false) };
        var lookup = Decide(entered);
        lookup.Effects.Should().Equal(new AddFinalizer());
        lookup.Next.Should().BeOfType<LookUp>().Which.Should().Be(new LookUp(new EcsTarget(entered.Resolution.Provider!, Account, false), "c"));

        var create = Decide(entered with { Found = new Seen(null) });
        create.Effects.Should().BeEmpty("the finalizer was added by the plan that asked for the lookup");
        create.Next.Should().BeOfType<CreateCluster>().Which.Request.Tags.Should().ContainEquivalentOf(new Ecs.Tag(Ownership.TagKey, "default/c"));
    }

    [Test]
    public void A_created_cluster_is_recorded_announced_and_reported_from_the_create_answer()
    {
        var o = Found(Fixtures.Cluster(), null) with { Created = new Seen(Described(Ecs.ClusterStatus.Provisioning)) };
        var plan = Decide(o);

        plan.Effects.Should().StartWith(new RecordOwnership(Arn));
        Event(plan, "Created").Should().Match<RecordEvent>(e => e.Severity == EventSeverity.Normal && e.Message == "Created ECS cluster c");
        var status = Written(plan);
        Condition(status, ClusterConditions.Synced).Reason.Should().Be("Synced");
        Condition(status, ClusterConditions.Ready).Should().Match<V1Condition>(c => c.Status == "False" && c.Reason == "Provisioning");
        status.ClusterARN.Should().Be(Arn);
        status.LastSyncTime.Should().Be(Fixtures.Now);
        plan.Result.Should().Be(ReconcileResult.After(Options.TransitionRequeue), "PROVISIONING is a transition");
    }

    [Test]
    public void A_create_answer_that_is_not_ours_is_read_again_before_the_gate()
    {
        var o = Found(Fixtures.Cluster(), null) with { Created = new Seen(Described(owner: null)) };
        Decide(o).Next.Should().BeOfType<DescribeCreated>();

        var reread = Decide(o with { Reread = new Seen(Described(owner: null)) });
        Condition(Written(reread), ClusterConditions.Synced).Reason.Should().Be(ClusterConditions.Reasons.AdoptionRequired);
        EventsOf(reread).Should().NotContain("Normal Created", "a cluster that was already there is not ours to announce");
    }

    [Test]
    public void A_decision_that_throws_is_reported_as_an_InternalError_and_rethrown()
    {
        var bug = new InvalidOperationException("a bug in a pure function");
        var plan = ClusterDecision.DecisionFailed(Found(Fixtures.Cluster(), null) with { Reportable = false }, Options, bug);

        var status = Written(plan);
        Condition(status, ClusterConditions.Synced).Reason.Should().Be(ReconcileFailure.InternalError);
        Condition(status, ClusterConditions.Ready).Reason.Should().Be(ReconcileFailure.InternalError, "no cluster is known");
        EventsOf(plan).Should().Equal("Warning InternalError");
        plan.Next.Should().BeNull("nothing more is decided from answers that may be what broke the decision");
        plan.Rethrow.Should().BeOfType<ReportedFailureException>().Which.InnerException.Should().BeSameAs(bug);
    }

    [Test]
    public void A_cluster_invisible_right_after_create_is_an_InternalError()
    {
        var o = Found(Fixtures.Cluster(), null) with { Created = new Seen(null), Reread = new Seen(null) };
        Decide(o).Next.Should().BeOfType<AssessFailure>().Which.Failure.Should().BeOfType<InvalidOperationException>();

        var plan = Decide(o with { Reportable = true });
        var status = Written(plan);
        Condition(status, ClusterConditions.Synced).Reason.Should().Be(ReconcileFailure.InternalError);
        Condition(status, ClusterConditions.Ready).Reason.Should().Be(ReconcileFailure.InternalError, "no cluster is known");
        EventsOf(plan).Should().Equal("Warning InternalError");
        plan.Rethrow.Should().BeOfType<ReportedFailureException>();
    }

    [Test]
    public void An_existing_cluster_not_created_by_this_object_requires_adoption()
    {
        var plan = Decide(Found(Fixtures.Cluster(), Described(owner: null)));

        var status = Written(plan);
        Condition(status, ClusterConditions.Synced).Should().Match<V1Condition>(c => c.Status == "False" && c.Reason == "AdoptionRequired" && c.Message.Contains("adoptExisting"));
        Condition(status, ClusterConditions.Ready).Reason.Should().Be("AdoptionRequired");
        status.Status.Should().Be("ACTIVE");
        EventsOf(plan).Should().Equal("Warning AdoptionRequired");
        plan.Effects.OfType<RecordOwnership>().Should().BeEmpty("the gate changes nothing on a blocked path");
        plan.Result.Should().Be(ReconcileResult.Done, "only a spec change can help");
    }

    [Test]
    public void Adoption_takes_an_unowned_cluster_and_lists_the_tags_it_removes()
    {
        var obj = Fixtures.Cluster(c => c.Spec.AdoptExisting = true);
        var plan = Decide(Found(obj, Described(owner: null, tags: new Ecs.Tag("legacy", "yes"))));

        Event(plan, "Adopted").Message.Should().Be("Adopted existing ECS cluster c; removing 1 pre-existing tag not in the spec (add them to spec.tags to keep them): legacy=yes");
        plan.Effects.Should().ContainEquivalentOf(new RecordOwnership(Arn));
        var apply = plan.Next.Should().BeOfType<ApplyDiff>().Subject;
        apply.Diff.TagKeysToRemove.Should().Equal("legacy");
        apply.Diff.TagsToSet.Should().ContainEquivalentOf(new Ecs.Tag(Ownership.TagKey, "default/c"));
    }

    [TestCase("default/other", true)]
    [TestCase("elsewhere/other", false)]
    public void A_cluster_owned_by_another_object_is_left_alone(string owner, bool named)
    {
        var plan = Decide(Found(Fixtures.Cluster(), Described(owner: owner)));

        var synced = Condition(Written(plan), ClusterConditions.Synced);
        synced.Reason.Should().Be(ClusterConditions.Reasons.OwnedByAnotherObject);
        synced.Message.Contains(owner, StringComparison.Ordinal).Should().Be(named, "the owner is named only to its own namespace");
        EventsOf(plan).Should().Equal("Warning OwnedByAnotherObject");
        plan.Result.Should().Be(ReconcileResult.After(Options.SlowRequeue));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Adoption_of_another_objects_cluster_asks_whether_that_object_is_gone(bool gone)
    {
        var o = Found(Fixtures.Cluster(c => c.Spec.AdoptExisting = true), Described(owner: "default/old"));
        Decide(o).Next.Should().Be(new AskOwnerGone("default/old"));

        var plan = Decide(o with { OwnerGone = gone });
        if (gone)
        {
            Event(plan, "Adopted").Message.Should().Contain("its previous owner, ECSCluster default/old, no longer exists");
            plan.Next.Should().BeOfType<ApplyDiff>();
        }
        else
        {
            Condition(Written(plan), ClusterConditions.Synced).Reason.Should().Be(ClusterConditions.Reasons.OwnedByAnotherObject);
        }
    }

    [Test]
    public void A_cluster_whose_tag_was_removed_is_still_ours_by_its_recorded_ARN()
    {
        var plan = Decide(Found(Fixtures.Owning(), Described(owner: null)));
        plan.Next.Should().BeOfType<ApplyDiff>().Which.Diff.TagsToSet.Should().ContainEquivalentOf(new Ecs.Tag(Ownership.TagKey, "default/c"));
    }

    [Test]
    public void Changes_to_a_cluster_still_being_created_wait_for_ACTIVE()
    {
        var plan = Decide(Found(Fixtures.Owning(), Described(Ecs.ClusterStatus.Provisioning, tags: new Ecs.Tag("stray", "1"))));

        var status = Written(plan);
        Condition(status, ClusterConditions.Synced).Should().Match<V1Condition>(c => c.Reason == "Creating" && c.Message.EndsWith("before applying tags"));
        Condition(status, ClusterConditions.Ready).Reason.Should().Be("Provisioning");
        plan.Result.Should().Be(ReconcileResult.After(Options.TransitionRequeue));
    }

    [Test]
    public void A_diff_is_applied_announced_and_read_back()
    {
        var o = Found(Fixtures.Owning(), Described(tags: new Ecs.Tag("stray", "1")));
        Decide(o).Next.Should().BeOfType<ApplyDiff>().Which.Arn.Should().Be(Arn);

        var applied = Decide(o with { Applied = true });
        Event(applied, "Updated").Message.Should().Be("Updated ECS cluster c: tags");
        applied.Effects.OfType<LogLine>().Should().ContainSingle(l => l.Level == LogLevel.Information);
        applied.Next.Should().BeOfType<DescribeUpdated>();
        applied.Effects.OfType<RecordOwnership>().Should().BeEmpty("recorded by the plan that applied the diff");

        var done = Decide(o with { Applied = true, Refreshed = new Seen(Described()) });
        done.Effects.OfType<RecordEvent>().Should().BeEmpty();
        var status = Written(done);
        Condition(status, ClusterConditions.Ready).Should().Match<V1Condition>(c => c.Status == "True" && c.Reason == "Active");
        status.Ready.Should().BeTrue();
        status.LastSyncTime.Should().Be(Fixtures.Now, "the operator changed the cluster");
        done.Result.Should().Be(ReconcileResult.Done, "a converged ACTIVE cluster is the drift scanner's");
    }

    [Test]
    public void A_converged_cluster_writes_nothing_new_and_is_not_requeued()
    {
        var plan = Decide(Found(Fixtures.Owning(), Described()));
        plan.Next.Should().BeNull();
        plan.Effects.OfType<RecordEvent>().Should().BeEmpty();
        Written(plan).ManagedSpecFields.Should().BeNull();
        plan.Result.Should().Be(ReconcileResult.Done);
    }

    [TestCase(Ecs.ClusterStatus.Active, "True", "Active", 0)]
    [TestCase(Ecs.ClusterStatus.Provisioning, "False", "Provisioning", 5)]
    [TestCase(Ecs.ClusterStatus.Deprovisioning, "False", "Deprovisioning", 5)]
    [TestCase(Ecs.ClusterStatus.Failed, "False", "Failed", 300)]
    [TestCase(Ecs.ClusterStatus.Inactive, "False", "Inactive", 0)]
    public void Ready_follows_the_state_ECS_reports(string state, string ready, string reason, int requeueSeconds)
    {
        var plan = Decide(Found(Fixtures.Owning(), Described(state)));
        Condition(Written(plan), ClusterConditions.Ready).Should().Match<V1Condition>(c => c.Status == ready && c.Reason == reason);
        plan.Result.Should().Be(requeueSeconds == 0 ? ReconcileResult.Done : ReconcileResult.After(TimeSpan.FromSeconds(requeueSeconds)));
    }

    [Test]
    public void A_capacity_provider_update_in_progress_is_Active_but_watched()
    {
        var cluster = Described() with { AttachmentsStatus = Ecs.ClusterStatus.UpdateInProgress };
        var plan = Decide(Found(Fixtures.Owning(), cluster));
        Condition(Written(plan), ClusterConditions.Ready).Message.Should().EndWith("(capacity provider update in progress)");
        plan.Result.Should().Be(ReconcileResult.After(Options.TransitionRequeue));
    }

    [Test]
    public void Tag_keys_that_differ_only_in_case_are_noted_once()
    {
        var provider = Fixtures.Provider(p => p.Spec.DefaultTags = new Dictionary<string, string> { ["environment"] = "dev" });
        var obj = Fixtures.Owning(c => c.Spec.Tags = new Dictionary<string, string> { ["Environment"] = "dev" });
        var cluster = Described(tags: [new Ecs.Tag("environment", "dev"), new Ecs.Tag("Environment", "dev")]);

        var first = Decide(Found(obj, cluster, Fixtures.Ready(provider)));
        Event(first, ClusterConditions.EventReasons.TagKeysDifferInCase).Severity.Should().Be(EventSeverity.Normal);
        var synced = Condition(Written(first), ClusterConditions.Synced);
        synced.Message.Should().Contain("note: tag keys that differ only in case");

        obj.Status!.Conditions = Written(first).Conditions;
        var again = Decide(Found(obj, cluster, Fixtures.Ready(provider)));
        again.Effects.OfType<RecordEvent>().Should().BeEmpty("the condition already carries the note");
    }

    [Test]
    public void A_spec_field_once_set_is_remembered_as_managed()
    {
        var obj = Fixtures.Owning(c => c.Spec.CapacityProviders = ["FARGATE"]);
        var plan = Decide(Found(obj, Described() with { CapacityProviders = ["FARGATE"] }));
        Written(plan).ManagedSpecFields.Should().Equal(SpecFields.CapacityProviders);
    }

    public static IEnumerable<TestCaseData> Failures()
    {
        TestCaseData Case(Exception e, string reason) => new TestCaseData(e, reason).SetArgDisplayNames(reason, e.GetType().Name);
        yield return Case(new AccessDeniedException("AccessDeniedException", "no", HttpStatusCode.BadRequest, null), ClusterConditions.Reasons.AccessDenied);
        yield return Case(new InvalidParameterException("bad", HttpStatusCode.BadRequest, null), ClusterConditions.Reasons.InvalidParameter);
        yield return Case(new ClientException("unknown capacity provider", HttpStatusCode.BadRequest, null), ClusterConditions.Reasons.InvalidParameter);
        yield return Case(new LimitExceededException("quota", HttpStatusCode.BadRequest, null), ClusterConditions.Reasons.AwsError);
        yield return Case(new ServerException("boom", HttpStatusCode.InternalServerError, null), ReconcileFailure.AwsError);
        yield return Case(new AwsCallTimeoutException("ECS", "DescribeClusters", 3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)), ReconcileFailure.Timeout);
        yield return Case(new HttpRequestException("connection refused"), ReconcileFailure.EndpointUnreachable);
        yield return Case(AwsHttpRefusedException.Redirect(302, "evil.example"), ProviderCredentialsReasons.RedirectRefused);
        yield return Case(AwsHttpRefusedException.TooLarge(1024), ProviderCredentialsReasons.ResponseTooLarge);
        yield return Case(ApiError(HttpStatusCode.UnprocessableEntity), ReconcileFailure.KubernetesApiError);
        yield return Case(new ProviderCredentialsException(ProviderCredentialsReasons.AccessDenied, "AssumeRole denied"), ProviderCredentialsReasons.AccessDenied);
        yield return Case(new InvalidOperationException("bug"), ReconcileFailure.InternalError);
    }

    [TestCaseSource(nameof(Failures))]
    public void A_failure_after_the_slot_is_reported_and_rethrown_for_back_off(Exception failure, string reason)
    {
        var o = Found(Fixtures.Cluster(), null) with { Failure = failure, Reportable = true };
        var plan = Decide(o);

        plan.HandlesFailure.Should().BeTrue();
        var status = Written(plan);
        Condition(status, ClusterConditions.Synced).Should().Match<V1Condition>(c => c.Status == "False" && c.Reason == reason);
        Condition(status, ClusterConditions.Ready).Should().Match<V1Condition>(c => c.Status == "False" && c.Reason == reason, "no cluster is known");
        EventsOf(plan).Should().Equal($"Warning {reason}");
        plan.Next.Should().BeNull();
        plan.Rethrow.Should().NotBeNull();
    }

    [Test]
    public void A_failure_keeps_Ready_as_it_was_once_a_cluster_is_known()
    {
        var o = Found(Fixtures.Owning(), Described(tags: new Ecs.Tag("stray", "1"))) with { Failure = new HttpRequestException("reset"), Reportable = true };
        var status = Written(Decide(o));
        Condition(status, ClusterConditions.Synced).Reason.Should().Be(ReconcileFailure.EndpointUnreachable);
        Condition(status, ClusterConditions.Ready).Reason.Should().Be("Active");
    }

    [Test]
    public void A_non_retryable_ECS_error_is_rethrown_as_it_is()
    {
        var denied = new AccessDeniedException("AccessDeniedException", "no", HttpStatusCode.BadRequest, null);
        Decide(Found(Fixtures.Cluster(), null) with { Failure = denied }).Rethrow.Should().BeSameAs(denied);
    }

    [Test]
    public void A_generic_failure_is_assessed_before_it_is_shown()
    {
        var hiccup = ApiError(HttpStatusCode.ServiceUnavailable);
        var o = Found(Fixtures.Cluster(), null) with { Failure = hiccup };
        Decide(o).Next.Should().Be(new AssessFailure(hiccup));

        var quiet = Decide(o with { Reportable = false });
        quiet.Effects.Should().BeEmpty("an API server restarting is retried quietly until it lasts");
        quiet.Rethrow.Should().BeSameAs(hiccup, "rethrown as it came: the controller knows a hiccup by the exception it sees");
    }

    [Test]
    public void An_update_in_progress_is_waited_for_without_a_Warning()
    {
        var o = Found(Fixtures.Owning(), Described(tags: new Ecs.Tag("stray", "1"))) with
        {
            Failure = new UpdateInProgressException("still applying", HttpStatusCode.BadRequest, null),
        };
        var plan = Decide(o);
        Condition(Written(plan), ClusterConditions.Synced).Should().Match<V1Condition>(c => c.Reason == "UpdateInProgress" && c.Message.Contains("still applying"));
        plan.Effects.OfType<RecordEvent>().Should().BeEmpty();
        plan.Rethrow.Should().BeNull();
        plan.Result.Should().Be(ReconcileResult.After(Options.TransitionRequeue));
    }

    [Test]
    public void A_conflict_is_only_retried()
    {
        var conflict = ApiError(HttpStatusCode.Conflict);
        var plan = Decide(Found(Fixtures.Cluster(), null) with { Failure = conflict });
        plan.Effects.Should().BeEmpty("the next pass reads the newer object");
        plan.Rethrow.Should().BeSameAs(conflict);
    }

    [Test]
    public void A_failure_before_the_slot_ends_the_pass_as_it_is()
    {
        var broken = ApiError(HttpStatusCode.UnprocessableEntity);
        var plan = Decide(Fixtures.Observe(Fixtures.Cluster(c => c.Spec.ClusterName = "bad name")) with { Failure = broken });
        plan.Effects.Should().BeEmpty();
        plan.Rethrow.Should().BeSameAs(broken);
    }

    [Test]
    public void A_hand_written_status_on_an_object_that_never_reached_ECS_is_cleared()
    {
        var obj = Fixtures.Cluster(c => c.Status = new ECSClusterStatus { ClusterARN = Arn, Status = "ACTIVE", RunningTasksCount = 3 });
        var status = Written(Decide(Fixtures.Observe(obj, ProviderResolution.Fail(ProviderResolver.Reasons.ProviderNotFound, "gone"))));
        status.ClusterARN.Should().BeNull();
        status.Status.Should().BeNull();
        status.RunningTasksCount.Should().BeNull();
    }
}

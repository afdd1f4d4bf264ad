using Operator.Core.Api.V1Alpha1;
using Operator.Core.Bulkheads;
using Operator.Tests.Clusters;
using Polly.Timeout;
using static Operator.Tests.Clusters.DecisionFixtures;

namespace Operator.Tests.Providers;

/// <summary>
/// <see cref="ProviderDecision.Decide"/> branch by branch: in-use protection, the check slots, every Ready reason the
/// README lists for an AWSProvider with its Event, log level and re-check, DeletionBlocked (<c>InUse</c>) and the phase.
/// </summary>
[TestFixture]
public sealed class ProviderDecisionTests
{
    private static readonly ProviderReconcilerOptions Options = new();
    private DecisionFixtures _f = null!;

    [SetUp]
    public void SetUp() => _f = new DecisionFixtures();

    private ProviderObservation Observe(AWSProvider? obj, params string[] users) =>
        new() { Key = "default/p", Obj = obj, Users = users, Now = _f.Now, FinalizerRemoved = users.Length == 0 ? false : null };

    /// <summary>A pass that entered its slots and got <paramref name="check"/>.</summary>
    private ProviderObservation Checked(AWSProvider obj, ProviderCheck check, params string[] users) =>
        Observe(obj, users) with { Entered = new SlotAnswer(true, false), Check = check };

    private static ProviderCheck Fails(Exception e) => new(null, e);

    private static ProviderCheck Fails(string reason) => Fails(new ProviderCredentialsException(reason, $"{reason} happened"));

    private static ProviderPlan Decide(ProviderObservation o) => ProviderDecision.Decide(o, Options);

    private static AWSProviderStatus Written(ProviderPlan plan) => plan.Effects.OfType<WriteProviderStatus>().Should().ContainSingle().Subject.Status;

    private static V1Condition Ready(ProviderPlan plan) => Conditions.Find(Written(plan).Conditions, ProviderConditions.Ready)!;

    private static IEnumerable<string> EventsOf(ProviderPlan plan) => plan.Effects.OfType<RecordProviderEvent>().Select(e => $"{e.Severity} {e.Reason}");

    private AWSProvider Failing(string reason, string message, int generation = 1) => _f.Provider(p =>
    {
        p.Status!.Ready = false;
        p.Status.Conditions = [new V1Condition { Type = ProviderConditions.Ready, Status = "False", Reason = reason, Message = message, ObservedGeneration = generation }];
    });

    [Test]
    public void A_provider_that_is_gone_is_forgotten()
    {
        var plan = Decide(Observe(null));
        plan.Effects.Should().Equal(new ForgetProvider());
        plan.Next.Should().BeNull();
        plan.Result.Should().Be(ReconcileResult.Done);
    }

    [Test]
    public void A_provider_in_use_gets_the_in_use_finalizer_then_its_check()
    {
        var plan = Decide(Observe(_f.Provider(), "default/c"));
        plan.Effects.Should().Equal(new AddInUseFinalizer());
        plan.Next.Should().Be(new EnterChecks());

        var check = Decide(Observe(_f.Provider(), "default/c") with { Entered = new SlotAnswer(true, false) });
        check.Effects.Should().BeEmpty("the finalizer went with the plan that asked for the slots");
        check.Next.Should().Be(new Authenticate());
    }

    [Test]
    public void An_unused_provider_loses_the_finalizer_and_goes_if_it_is_being_deleted()
    {
        var deleting = _f.Provider(p => { Deleted2(p); p.Metadata.Finalizers = [ProviderProtection.Finalizer]; });
        Decide(Observe(deleting) with { FinalizerRemoved = null }).Next.Should().Be(new RemoveInUseFinalizer());

        var gone = Decide(Observe(deleting) with { FinalizerRemoved = true });
        gone.Effects.Should().Equal([new ForgetProvider()], "its final DELETE event queues no pass, so what is kept for it goes now");
        gone.Next.Should().BeNull("the last user is gone: the provider disappears now");

        Decide(Observe(_f.Provider()) with { FinalizerRemoved = true }).Next.Should().Be(new EnterChecks(), "a live provider is still checked");
    }

    [Test]
    public void A_provider_being_deleted_while_used_is_blocked_and_says_by_whom()
    {
        var provider = _f.Provider(p => { Deleted2(p); p.Metadata.Finalizers = [ProviderProtection.Finalizer]; });
        var users = new[] { "default/a", "default/b", "team/c" };
        var first = Decide(Observe(provider, users));
        var blocked = first.Effects.OfType<RecordProviderEvent>().Should().ContainSingle().Subject;
        blocked.Should().Match<RecordProviderEvent>(e => e.Severity == EventSeverity.Warning && e.Reason == ProviderConditions.DeletionBlocked && e.Series == ProviderConditions.Reasons.InUse);
        blocked.Message.Should().Be("deletion waits for 3 ECSClusters that use this provider: default/a, default/b; 1 in other namespaces");

        var plan = Decide(Checked(provider, new ProviderCheck(new CallerIdentity(Account, "arn:aws:iam::123456789012:user/u", "u"), null), users));
        var status = Written(plan);
        Conditions.Find(status.Conditions, ProviderConditions.DeletionBlocked).Should().Match<V1Condition>(c => c.Status == "True" && c.Reason == "InUse");
        status.Phase.Should().Be(ProviderConditions.Phases.DeletionBlocked);
    }

    [Test]
    public void A_provider_deleted_before_it_was_used_is_not_held()
    {
        var provider = _f.Provider(p => Deleted2(p));
        var plan = Decide(Checked(provider, new ProviderCheck(new CallerIdentity(Account, "arn", "u"), null), "default/c"));
        plan.Effects.OfType<RecordProviderEvent>().Should().NotContain(e => e.Reason == ProviderConditions.DeletionBlocked);
        Written(plan).Phase.Should().Be(ProviderConditions.Phases.Deleting);
        Conditions.Find(Written(plan).Conditions, ProviderConditions.DeletionBlocked).Should().BeNull();
    }

    [TestCase(true, 0)]
    [TestCase(false, 2)]
    public void A_provider_without_free_check_slots_parks_or_retries_on_a_timer(bool parked, int seconds)
    {
        var plan = Decide(Observe(_f.Provider()) with { Entered = new SlotAnswer(false, parked) });
        plan.Effects.Should().BeEmpty();
        plan.Result.Should().Be(parked ? ReconcileResult.Done : ReconcileResult.After(TimeSpan.FromSeconds(seconds)));
    }

    [TestCase(1, false)]
    [TestCase(2, true)]
    public void Credentials_are_rebuilt_when_the_generation_changed(long generation, bool rebuilt)
    {
        var plan = Decide(Observe(_f.Provider(p => p.Metadata.Generation = generation)) with { Entered = new SlotAnswer(true, false) });
        plan.Next.Should().Be(new Authenticate());
        plan.Effects.Contains(new InvalidateCredentials()).Should().Be(rebuilt);
    }

    [TestCase(false, true)]
    [TestCase(true, false)]
    public void Authenticated_reports_the_identity_and_announces_it_once(bool wasReady, bool announced)
    {
        var provider = wasReady ? _f.Provider() : Failing(ProviderCredentialsReasons.InvalidCredentials, "bad");
        var plan = Decide(Checked(provider, new ProviderCheck(new CallerIdentity(Account, "arn:aws:iam::123456789012:user/u", "u"), null)));

        var status = Written(plan);
        status.Should().Match<AWSProviderStatus>(s => s.Ready && s.AccountID == Account && s.CallerIdentity == "arn:aws:iam::123456789012:user/u");
        status.LastAuthenticationTime.Should().Be(_f.Now);
        status.Phase.Should().Be(ProviderConditions.Phases.Active);
        Ready(plan).Should().Match<V1Condition>(c => c.Status == "True" && c.Reason == "Authenticated");
        EventsOf(plan).Should().Equal(announced ? ["Normal Authenticated"] : []);
        plan.Effects.Should().Contain(new ResetRechecks());
        plan.Result.Should().Be(ReconcileResult.Done);
    }

    [TestCase(ProviderCredentialsReasons.InvalidCredentials)]
    [TestCase(ProviderCredentialsReasons.AccessDenied)]
    [TestCase(ProviderCredentialsReasons.SecretNotFound)]
    [TestCase(ProviderCredentialsReasons.SecretKeyNotFound)]
    [TestCase(ProviderCredentialsReasons.SecretForbidden)]
    [TestCase(ProviderCredentialsReasons.SecretUnreadable)]
    [TestCase(ProviderCredentialsReasons.RedirectRefused)]
    [TestCase(ProviderCredentialsReasons.ResponseTooLarge)]
    [TestCase(ProviderCredentialsReasons.WebIdentityTokenMissing)]
    public void A_problem_a_person_must_fix_is_warned_about_and_checked_every_minute(string reason)
    {
        var plan = Decide(Checked(_f.Provider(), Fails(reason)));
        Ready(plan).Should().Match<V1Condition>(c => c.Status == "False" && c.Reason == reason && c.Message == $"{reason} happened");
        Written(plan).Ready.Should().BeFalse();
        EventsOf(plan).Should().Equal($"Warning {reason}");
        plan.Effects.Should().Contain(new InvalidateCredentials());
        plan.Effects.OfType<ProviderLog>().Should().ContainSingle().Which.Level.Should().Be(LogLevel.Warning);
        plan.Result.Should().Be(ReconcileResult.After(Options.FailureRequeue));
    }

    [TestCase(ProviderCredentialsReasons.EndpointNotAllowed)]
    [TestCase(ProviderCredentialsReasons.RoleNotAllowed)]
    [TestCase(ProviderCredentialsReasons.DefaultCredentialsNotAllowed)]
    [TestCase(ProviderCredentialsReasons.InvalidSpec)]
    public void A_refusal_is_not_rechecked_on_a_timer_and_warned_about_once_per_change(string reason)
    {
        var first = Decide(Checked(_f.Provider(), Fails(reason)));
        EventsOf(first).Should().Equal($"Warning {reason}");
        first.Result.Should().Be(ReconcileResult.Done);

        var repeated = Decide(Checked(Failing(reason, $"{reason} happened"), Fails(reason)));
        EventsOf(repeated).Should().BeEmpty();
        repeated.Effects.OfType<ProviderLog>().Should().ContainSingle().Which.Level.Should().Be(LogLevel.Debug);

        var newGeneration = Decide(Checked(Failing(reason, $"{reason} happened", generation: 0), Fails(reason)));
        EventsOf(newGeneration).Should().Equal($"Warning {reason}");
    }

    [Test]
    public void A_Secret_missing_just_after_creation_is_waited_for_quietly()
    {
        var provider = _f.Provider(p => p.Metadata.CreationTimestamp = _f.Now.AddSeconds(-10));
        var early = Decide(Checked(provider, Fails(ProviderCredentialsReasons.SecretNotFound)));
        Ready(early).Reason.Should().Be(ProviderCredentialsReasons.SecretNotFound);
        EventsOf(early).Should().BeEmpty();
        early.Effects.OfType<ProviderLog>().Should().ContainSingle().Which.Level.Should().Be(LogLevel.Information);
        early.Result.Should().Be(ReconcileResult.After(TimeSpan.FromSeconds(20)));

        _f.Time.Advance(TimeSpan.FromSeconds(20));
        var late = Decide(Checked(provider, Fails(ProviderCredentialsReasons.SecretNotFound)) with { Now = _f.Now });
        EventsOf(late).Should().Equal("Warning SecretNotFound");
        late.Result.Should().Be(ReconcileResult.After(Options.FailureRequeue));
    }

    [TestCase(0, 1)]
    [TestCase(1, 2)]
    [TestCase(3, 8)]
    [TestCase(9, 15)]
    public void An_unreachable_endpoint_is_rechecked_on_a_back_off(int failuresBefore, int seconds)
    {
        var plan = Decide(Checked(_f.Provider(), Fails(ProviderCredentialsReasons.EndpointUnreachable)) with { EndpointFailures = failuresBefore });
        Ready(plan).Reason.Should().Be(ProviderCredentialsReasons.EndpointUnreachable);
        plan.Effects.Should().Contain(new CountRecheck());
        plan.Result.Should().Be(ReconcileResult.After(TimeSpan.FromSeconds(seconds)));
    }

    public static IEnumerable<TestCaseData> EndpointFailures()
    {
        yield return new TestCaseData(new ServerException("boom", HttpStatusCode.InternalServerError, null), ReconcileFailure.AwsError);
        yield return new TestCaseData(new TimeoutRejectedException("slow"), ReconcileFailure.Timeout);
        yield return new TestCaseData(new HttpRequestException("refused"), ReconcileFailure.EndpointUnreachable);
    }

    [TestCaseSource(nameof(EndpointFailures))]
    public void A_failing_endpoint_is_rechecked_soon(Exception failure, string reason)
    {
        var plan = Decide(Checked(_f.Provider(), Fails(failure)) with { EndpointFailures = 2 });
        Ready(plan).Reason.Should().Be(reason);
        EventsOf(plan).Should().Equal($"Warning {reason}");
        plan.Effects.Should().Contain(new CountRecheck());
        plan.Rethrow.Should().BeNull();
        plan.Result.Should().Be(ReconcileResult.After(TimeSpan.FromSeconds(4)));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void A_Kubernetes_error_or_a_bug_is_reported_then_rethrown(bool bug)
    {
        Exception failure = bug ? new InvalidOperationException("bug") : ApiError(HttpStatusCode.Forbidden);
        var plan = Decide(Checked(_f.Provider(), Fails(failure)));
        var reason = bug ? ReconcileFailure.InternalError : ReconcileFailure.KubernetesApiError;
        Ready(plan).Reason.Should().Be(reason);
        EventsOf(plan).Should().Equal($"Warning {reason}");
        plan.Effects.Should().EndWith(plan.Effects.OfType<WriteProviderStatus>().Single(), "the status is written before the rethrow");
        plan.Rethrow.Should().BeOfType<ReportedFailureException>().Which.InnerException.Should().BeSameAs(failure);
    }

    [Test]
    public void An_api_server_hiccup_within_its_grace_is_rethrown_as_it_came_without_a_report()
    {
        var failure = ApiError(HttpStatusCode.ServiceUnavailable);
        var plan = Decide(Checked(_f.Provider(), new ProviderCheck(null, failure, Reportable: false)));
        plan.Effects.Should().BeEmpty("no condition flips and no Warning Event while the API server restarts");
        plan.Rethrow.Should().BeSameAs(failure, "the controller knows a hiccup by the exception it sees");
    }

    private static void Deleted2(AWSProvider provider) => provider.Metadata.DeletionTimestamp = DateTime.UnixEpoch.AddYears(56);
}

using Operator.Core.Bulkheads;
using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// The AWSProvider controller under hostile or failing endpoints: providers whose STS never answers hold at most
/// their namespace's or endpoint's share of the workers, so another tenant's provider is checked as usual; a failing
/// endpoint is re-checked on a short back-off, so the provider and its clusters recover soon after it comes back (the
/// test makes the back-off and the retries inside one check shorter than the product's, not the one-minute requeue it
/// must not fall back to); a refusal by the admin's policy is logged and recorded once, however often the provider is
/// re-checked. Nothing asserts on wall-clock time: bounds are shown by counts (requests open, reconciles, log lines).
/// </summary>
[TestFixture]
public sealed class ProviderChecksTests
{
    private const int Workers = 4;

    [TestCase(1, 8)]
    [TestCase(8, 1)]
    public async Task Providers_whose_STS_never_answers_leave_another_tenants_provider_its_normal_reconciles(int namespaces, int endpoints)
    {
        var hung = new List<FakeAwsEndpoint>();
        for (var i = 0; i < endpoints; i++)
        {
            var endpoint = await FakeAwsEndpoint.StartAsync();
            endpoint.Sts = FakeAwsEndpoint.Reply.Hang;
            hung.Add(endpoint);
        }
        // Hung checks stay hung for the whole test: only the bulkhead can leave a worker free. The bed goes first, so
        // the hung calls are cancelled before their endpoints stop: at once, as a longer drain would only wait for them.
        var bed = await OperatorTestBed.StartAsync(settings: new()
        {
            ["Workers"] = Workers.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AwsAttemptTimeout"] = "00:03:00", ["AwsCallTimeout"] = "00:05:00", ["DrainTimeout"] = "00:00:00.100",
        });
        using var reconciles = new ReconcileLog($"victim-{namespaces}", AWSProvider.KindName);
        try
        {
            for (var i = 0; i < 8; i++)
            {
                var ns = $"hostile-{i % namespaces}";
                await bed.Kube.EnsureNamespaceAsync(ns);
                await bed.CreateStaticProviderAsync(ns, $"hung-{i}", spec: s => s["endpoint"] = hung[i % endpoints].Endpoint.ToString());
            }
            var share = ProviderBulkhead.DefaultCapacity(Workers);
            await Eventually.UntilAsync(() => Task.FromResult(hung.Sum(h => h.StsOpen) >= share), $"{share} hung checks running");

            await bed.Kube.EnsureNamespaceAsync("victim");
            await bed.CreateStaticProviderAsync("victim", $"victim-{namespaces}", secretCachedFirst: true);
            await bed.WaitProviderReadyAsync("victim", $"victim-{namespaces}");
            // The status is written inside the check's reconcile, which is counted when it ends, a moment later.
            await Eventually.UntilAsync(() => reconciles.Count >= 1, "the victim's check to end");

            reconciles.Keys().Should().Equal([$"victim/victim-{namespaces}"], "one check, as without hung providers");
            hung.Sum(h => h.StsOpen).Should().Be(share, "the hung checks still hold their slots, and no more than them");
            hung.Max(h => h.StsMaxOpen).Should().BeLessThanOrEqualTo(share);
        }
        finally
        {
            await bed.DisposeAsync();
            foreach (var endpoint in hung)
            {
                await endpoint.DisposeAsync();
            }
        }
    }

    [Test]
    public async Task A_failing_endpoint_is_rechecked_on_a_short_back_off_and_the_provider_and_its_clusters_recover_with_it()
    {
        // The product's back-off (1, 2, 4, 8, then 15 s) scaled down; the requeue of a failure that only a person can
        // fix stays at the product's minute, so five checks within the wait below still need the back-off. One retry
        // per AWS call: with the bed's eight, every check of a refusing endpoint would take its own ~15 s.
        await using var bed = await OperatorTestBed.StartAsync(settings: new() { ["AwsMaxRetries"] = "1" }, services: s =>
            OperatorTestBed.Adjust<ProviderReconcilerOptions>(s, o => o with { FirstRecheck = TimeSpan.FromMilliseconds(200), MaxRecheck = TimeSpan.FromSeconds(1) }));
        using var checks = new ReconcileLog("outage-p", AWSProvider.KindName);
        await bed.CreateStaticProviderAsync("default", "outage-p");
        await bed.WaitProviderReadyAsync("default", "outage-p");
        await bed.Kube.CreateClusterAsync("default", "outage-c", provider: "outage-p");
        await bed.WaitReadyAsync("default", "outage-c");

        bed.Aws.Faults.RefuseConnections = true;
        var since = DateTime.UtcNow;
        // A rotation of the Secret makes the provider check its credentials now, during the outage.
        await bed.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"metadata":{"labels":{"rotated":"1"}}}""", V1Patch.PatchType.MergePatch),
            "outage-p-credentials", "default");
        await Eventually.UntilAsync(async () => (await bed.GetProviderAsync("default", "outage-p"))?.Status?.Conditions?
            .Any(c => c is { Type: "Ready", Status: "False", Reason: ProviderCredentialsReasons.EndpointUnreachable }) == true, "EndpointUnreachable");
        // The endpoint stays down until the provider was checked four more times: on the one-minute timer that would
        // take four minutes, on this back-off (0.2, 0.4, 0.8, 1 s) about two and a half seconds.
        await Eventually.UntilAsync(() => Task.FromResult(checks.Since(since).Count >= 5), "five checks during the outage", TimeSpan.FromSeconds(90));
        bed.Aws.Faults.RefuseConnections = false;

        await bed.WaitProviderReadyAsync("default", "outage-p");
        await bed.WaitReadyAsync("default", "outage-c");
        bed.Logs.Lines.Count(l => l.Contains("AWSProvider authentication failed: EndpointUnreachable", StringComparison.Ordinal) && l.StartsWith("Warning", StringComparison.Ordinal))
            .Should().BeLessThan(checks.Since(since).Count - 1, "a failure repeated with the same message is logged once, not at every check");
    }

    [Test]
    public async Task A_policy_refusal_is_logged_and_recorded_once_however_often_the_provider_is_checked()
    {
        await using var bed = await OperatorTestBed.StartAsync(resync: TimeSpan.FromSeconds(1), settings: new() { ["AllowedEndpoints"] = "" });
        using var checks = new ReconcileLog("refused-p", AWSProvider.KindName);
        await bed.CreateStaticProviderAsync("default", "refused-p", spec: s => s["endpoint"] = "http://203.0.113.7:4566/");

        await Eventually.UntilAsync(() => Task.FromResult(checks.Keys().Count >= 4), "the provider re-checked by several resyncs");

        var warnings = bed.Logs.Lines.Where(l => l.Contains("AWSProvider authentication failed: EndpointNotAllowed", StringComparison.Ordinal)
            && l.StartsWith("Warning", StringComparison.Ordinal)).ToList();
        warnings.Should().ContainSingle("a refusal is logged once per change of the provider, not at every check");
        var events = await EventsAsync(bed, "refused-p");
        events.Should().ContainSingle(e => e.Reason == ProviderCredentialsReasons.EndpointNotAllowed).Which.Count.Should().Be(1);

        // A change of the provider is a new refusal: logged again.
        await bed.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch(new JsonObject { ["spec"] = new JsonObject { ["endpoint"] = "http://203.0.113.8:4566/" } }.ToJsonString(), V1Patch.PatchType.MergePatch),
            ApiGroup.Group, ApiGroup.Version, "default", AWSProvider.PluralName, "refused-p");
        await Eventually.UntilAsync(() => Task.FromResult(bed.Logs.Lines.Count(l => l.Contains("203.0.113.8", StringComparison.Ordinal)
            && l.StartsWith("Warning", StringComparison.Ordinal)) == 1), "the new refusal logged");
    }

    private static async Task<IList<Corev1Event>> EventsAsync(OperatorTestBed bed, string name)
    {
        IList<Corev1Event> events = [];
        await Eventually.UntilAsync(async () => (events = (await bed.Client.CoreV1.ListNamespacedEventAsync("default",
            fieldSelector: $"involvedObject.name={name}")).Items).Count > 0, $"events of {name}");
        return events;
    }
}

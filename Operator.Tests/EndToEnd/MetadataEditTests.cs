using System.Text.Json;
using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// Metadata edits over the wire: labels and foreign annotations alone cost no reconcile and no AWS call, while the
/// edits that matter still work — the operator's recorded-ARN annotation removed, its finalizer removed, a status
/// edited by hand (corrected by the drift scan). One worker, so a marker object's reconcile comes after any reconcile
/// queued before it; counts reconciles and AWS calls, never time.
/// </summary>
[TestFixture]
public sealed class MetadataEditTests
{
    private const string Prefix = "meta-";

    [Test]
    public async Task Label_and_annotation_edits_cost_nothing_but_the_edits_that_matter_still_reconcile()
    {
        await using var bed = await OperatorTestBed.StartAsync(settings: new() { ["Workers"] = "1" });
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        await bed.Kube.CreateClusterAsync("default", $"{Prefix}c");
        await bed.WaitReadyAsync("default", $"{Prefix}c");
        await bed.WaitForClusterAsync("default", $"{Prefix}c", c => c.Metadata.Annotations?.ContainsKey(Ownership.CreatedArnAnnotation) == true, "the recorded ARN");
        using var reconciles = new ReconcileLog(Prefix);

        var since = DateTimeOffset.UtcNow;
        await bed.Kube.PatchClusterAsync("default", $"{Prefix}c", new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["labels"] = new JsonObject { ["team"] = "payments" },
                ["annotations"] = new JsonObject { ["example.com/note"] = "hello" },
            },
        });
        await bed.Kube.PatchClusterAsync("default", $"{Prefix}c", new JsonObject
        {
            ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["team"] = null }, ["annotations"] = new JsonObject { ["example.com/note"] = "bye" } },
        });
        await Eventually.UntilAsync(() => Cached(bed)?.Metadata.Annotations is { } a && a.TryGetValue("example.com/note", out var note) && note == "bye", "the edits in the operator's cache");
        var markerAt = DateTimeOffset.UtcNow;
        var beforeMarker = bed.OperatorCalls(since);
        await bed.Kube.CreateClusterAsync("default", $"{Prefix}marker");
        await bed.WaitReadyAsync("default", $"{Prefix}marker");
        TestContext.Out.WriteLine($"AWS calls: before the marker {beforeMarker.Values.Sum()}, for the marker {string.Join(", ", bed.OperatorCalls(markerAt))}");
        reconciles.Keys().Should().Contain($"default/{Prefix}marker").And.NotContain($"default/{Prefix}c",
            "labels and foreign annotations are read by no reconciler");
        beforeMarker.Should().BeEmpty("a metadata edit alone costs no AWS call");

        // The operator's own annotation removed by a user: reconciled, and recorded again.
        var removedAt = DateTime.UtcNow;
        await bed.Kube.PatchClusterAsync("default", $"{Prefix}c", new JsonObject
        {
            ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [Ownership.CreatedArnAnnotation] = null } },
        });
        await bed.WaitForClusterAsync("default", $"{Prefix}c", c => c.Metadata.Annotations?.ContainsKey(Ownership.CreatedArnAnnotation) == true, "the ARN recorded again");
        // The reconcile is logged when it ends, which can be just after its write is seen.
        await Eventually.UntilAsync(() => reconciles.Since(removedAt).Contains($"default/{Prefix}c"), "the reconcile of the annotation's removal to end");
        reconciles.Since(removedAt).Count(k => k == $"default/{Prefix}c").Should().Be(1,
            $"the removal costs one reconcile, and recording the annotation again none (reconciles so far: {string.Join(", ", reconciles.Keys())})");

        // Its finalizer removed by hand: put back.
        await bed.Kube.PatchClusterAsync("default", $"{Prefix}c", new JsonObject { ["metadata"] = new JsonObject { ["finalizers"] = new JsonArray() } });
        await bed.WaitForClusterAsync("default", $"{Prefix}c", c => c.Metadata.Finalizers?.Contains(ApiGroup.Finalizer) == true, "the finalizer put back");

        // A status edited by hand is not a reason to reconcile on its own; the drift scan corrects it.
        // The edit may be corrected before a poll could see it in the cache (a contradicted status is requeued), so wait
        // for the cache to reach the edit's resourceVersion, not for the edited value.
        var edited = (JsonElement)await bed.Kube.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch(new JsonObject { ["status"] = new JsonObject { ["ready"] = false } }.ToJsonString(), V1Patch.PatchType.MergePatch),
            ApiGroup.Group, ApiGroup.Version, "default", ECSCluster.PluralName, $"{Prefix}c");
        var editedVersion = long.Parse(edited.GetProperty("metadata").GetProperty("resourceVersion").GetString()!, CultureInfo.InvariantCulture);
        await Eventually.UntilAsync(() => Cached(bed) is { } c && long.Parse(c.Metadata.ResourceVersion, CultureInfo.InvariantCulture) >= editedVersion,
            "the hand edit (or a later write) in the operator's cache");
        await bed.App!.Services.GetRequiredService<DriftScanner>().ScanOnceAsync(CancellationToken.None);
        await bed.WaitReadyAsync("default", $"{Prefix}c");
    }

    private static ECSCluster? Cached(OperatorTestBed bed) =>
        bed.App!.Services.GetRequiredService<Informer<ECSCluster>>().Store.Get($"default/{Prefix}c");
}

using k8s.Models;
using Operator.Core.Controllers;

namespace Operator.Tests.Engine;

/// <summary>The update filter's rule, decided from old and new metadata alone (units; the wire is in RealTimingTests).</summary>
[TestFixture]
public sealed class OwnWriteFilterTests
{
    private const string Ours = "example.com/finalizer";
    private readonly OwnWriteFilter filter = new([Ours]);

    private static V1ObjectMeta Meta(string rv, long generation = 1, IList<string>? finalizers = null,
        IDictionary<string, string>? labels = null, DateTime? deletion = null) =>
        new() { ResourceVersion = rv, Generation = generation, Finalizers = finalizers, Labels = labels, DeletionTimestamp = deletion };

    [Test]
    public void Our_status_or_finalizer_write_is_not_a_reason_to_reconcile()
    {
        filter.Matters(Meta("1"), Meta("2")).Should().BeFalse("a status-only write changes nothing but the resourceVersion");
        filter.Matters(Meta("1"), Meta("2", finalizers: [Ours])).Should().BeFalse("adding our own finalizer");
        filter.Matters(Meta("1", finalizers: ["other"]), Meta("2", finalizers: ["other", Ours])).Should().BeFalse();
    }

    [Test]
    public void User_changes_reconcile()
    {
        filter.Matters(Meta("1"), Meta("2", generation: 2)).Should().BeTrue("spec");
        filter.Matters(Meta("1"), Meta("2", deletion: DateTime.UtcNow)).Should().BeTrue("deletion");
        filter.Matters(Meta("1"), Meta("2", labels: new Dictionary<string, string> { ["a"] = "b" })).Should().BeTrue("labels");
        filter.Matters(Meta("1", finalizers: [Ours]), Meta("2")).Should().BeTrue("our finalizer removed by someone");
        filter.Matters(Meta("1"), Meta("2", finalizers: ["other"])).Should().BeTrue("someone else's finalizer");
        filter.Matters(Meta("1"), Meta("2", finalizers: ["other", Ours])).Should().BeTrue("ours and another added at once");
        filter.Matters(Meta("5"), Meta("5")).Should().BeTrue("a relist re-delivering an object is a resync");
    }
}

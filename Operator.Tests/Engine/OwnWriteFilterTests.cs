namespace Operator.Tests.Engine;

/// <summary>The update filter's rule, decided from old and new metadata alone (units; the wire is in RealTimingTests).</summary>
[TestFixture]
public sealed class OwnWriteFilterTests
{
    private const string Ours = "example.com/finalizer";
    private readonly OwnWriteFilter _filter = new([Ours]);

    private static V1ObjectMeta Meta(string rv, long generation = 1, IList<string>? finalizers = null,
        IDictionary<string, string>? labels = null, DateTime? deletion = null) =>
        new() { ResourceVersion = rv, Generation = generation, Finalizers = finalizers, Labels = labels, DeletionTimestamp = deletion };

    [Test]
    public void Our_status_or_finalizer_write_is_not_a_reason_to_reconcile()
    {
        _filter.Matters(Meta("1"), Meta("2")).Should().BeFalse("a status-only write changes nothing but the resourceVersion");
        _filter.Matters(Meta("1"), Meta("2", finalizers: [Ours])).Should().BeFalse("adding our own finalizer");
        _filter.Matters(Meta("1", finalizers: ["other"]), Meta("2", finalizers: ["other", Ours])).Should().BeFalse();
    }

    [Test]
    public void Labels_and_foreign_annotations_alone_are_not_a_reason_to_reconcile()
    {
        var withOwnAnnotation = new OwnWriteFilter([Ours], [OwnAnnotation]);
        _filter.Matters(Meta("1"), Meta("2", labels: new Dictionary<string, string> { ["a"] = "b" })).Should().BeFalse("labels");
        withOwnAnnotation.Matters(Meta("1"), Annotated("2", ["team", "x"])).Should().BeFalse("a foreign annotation added");
        withOwnAnnotation.Matters(Annotated("1", ["team", "x"]), Annotated("2", ["team", "y"])).Should().BeFalse("changed");
        withOwnAnnotation.Matters(Annotated("1", ["team", "x"]), Meta("2")).Should().BeFalse("removed");
        withOwnAnnotation.Matters(Meta("1"), Annotated("2", [OwnAnnotation, "arn"])).Should().BeFalse("our own annotation set");
        withOwnAnnotation.Matters(Annotated("1", [OwnAnnotation, "arn", "team", "x"]), Annotated("2", ["team", "x"]))
            .Should().BeTrue("our own annotation removed by someone");
    }

    private const string OwnAnnotation = "example.com/created-arn";

    private static V1ObjectMeta Annotated(string rv, string[] pairs)
    {
        var meta = Meta(rv);
        meta.Annotations = Enumerable.Range(0, pairs.Length / 2).ToDictionary(i => pairs[2 * i], i => pairs[(2 * i) + 1]);
        return meta;
    }

    [Test]
    public void User_changes_reconcile()
    {
        _filter.Matters(Meta("1"), Meta("2", generation: 2)).Should().BeTrue("spec");
        _filter.Matters(Meta("1"), Meta("2", deletion: DateTime.UtcNow)).Should().BeTrue("deletion");
        _filter.Matters(Meta("1", finalizers: [Ours]), Meta("2")).Should().BeTrue("our finalizer removed by someone");
        _filter.Matters(Meta("1"), Meta("2", finalizers: ["other"])).Should().BeTrue("someone else's finalizer");
        _filter.Matters(Meta("1"), Meta("2", finalizers: ["other", Ours])).Should().BeTrue("ours and another added at once");
        _filter.Matters(Meta("5"), Meta("5")).Should().BeTrue("a resync re-delivers an object with its resourceVersion");
    }

    [Test]
    public void Removing_our_own_finalizer_from_an_object_being_deleted_ends_our_work_and_is_no_reason()
    {
        var deleted = DateTime.UtcNow;
        _filter.Matters(Meta("1", finalizers: [Ours, "other"], deletion: deleted), Meta("2", finalizers: ["other"], deletion: deleted))
            .Should().BeFalse("our deletion finished; another finalizer still holds the object");
        _filter.Matters(Meta("1", finalizers: [Ours, "other"], deletion: deleted), Meta("2", finalizers: [Ours], deletion: deleted))
            .Should().BeTrue("someone else's finalizer removed");
        _filter.Matters(Meta("1", finalizers: [Ours, "other"]), Meta("2", finalizers: ["other"]))
            .Should().BeTrue("our finalizer removed from a live object must be put back");
    }
}

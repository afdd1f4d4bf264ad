namespace Operator.Tests.Status;

/// <summary>What this process wrote wins over an older cached copy, and only while it is newer.</summary>
[TestFixture]
public sealed class OwnWritesTests
{
    private static JsonObject Answer(string rv, string uid = "u1", string ready = "True") => new()
    {
        ["metadata"] = new JsonObject { ["resourceVersion"] = rv, ["uid"] = uid },
        ["status"] = new JsonObject { ["ready"] = ready },
    };

    [Test]
    public void The_written_object_is_the_base_while_the_cache_is_older_and_is_forgotten_once_it_caught_up()
    {
        var own = new OwnWrites(new FakeTimeProvider());
        own.Record("k", Answer("12"));
        own.Newer("k", "11", "u1")!["status"]!["ready"]!.GetValue<string>().Should().Be("True");
        own.Newer("k", "12", "u1").Should().BeNull("the cache has our write");
        own.Count.Should().Be(0);
    }

    [Test]
    public void An_older_answer_never_replaces_a_newer_one_and_a_recreated_object_is_not_confused_with_the_old()
    {
        var own = new OwnWrites(new FakeTimeProvider());
        own.Record("k", Answer("20", ready: "new"));
        own.Record("k", Answer("15", ready: "old"));
        own.Newer("k", "10", "u1")!["status"]!["ready"]!.GetValue<string>().Should().Be("new");
        own.Newer("k", "10", "u2").Should().BeNull("another object under the same name");
    }

    [Test]
    public void Entries_not_read_again_are_dropped_after_their_lifetime()
    {
        var clock = new FakeTimeProvider();
        var own = new OwnWrites(clock);
        own.Record("a", Answer("5"));
        clock.Advance(OwnWrites.Lifetime + TimeSpan.FromSeconds(1));
        own.Record("b", Answer("6"));
        own.Count.Should().Be(1);
    }
}

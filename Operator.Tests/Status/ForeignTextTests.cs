using Operator.Core.Text;

namespace Operator.Tests.Status;

/// <summary>The sanitiser of foreign text, and the caps of condition messages and ECS error messages.</summary>
public sealed class ForeignTextTests
{
    [Test]
    public void Control_characters_are_removed_and_whitespace_collapsed()
    {
        ForeignText.Clean("  a\r\n\tb\u0000c\u001b[31m d\u202Ee\u2028f  ").Should().Be("a bc[31m de f");
    }

    [Test]
    public void Html_is_replaced_by_a_note_from_its_first_marker_on()
    {
        ForeignText.Clean("<!DOCTYPE html><html><body>secret internal host</body></html>").Should().Be(ForeignText.HtmlOmitted);
        ForeignText.Clean("Error unmarshalling response: <HTML><script>x()</script>").Should().Be($"Error unmarshalling response: {ForeignText.HtmlOmitted}");
        ForeignText.Clean("bad <script>alert(1)</script>").Should().NotContain("<script");
    }

    [Test]
    public void Long_text_is_capped_with_an_ellipsis()
    {
        var clean = ForeignText.Clean(new string('x', 100_000));
        clean.Length.Should().Be(ForeignText.MaxLength);
        clean.Should().EndWith("…");
        ForeignText.Clean(new string('x', 100) + "<html>" + new string('y', 100_000)).Length.Should().BeLessThanOrEqualTo(ForeignText.MaxLength);
        ForeignText.Clean(new string('x', 500) + "<html>", 100).Should().EndWith(ForeignText.HtmlOmitted).And.HaveLength(100);
    }

    [Test]
    public void Text_that_continues_past_the_scanned_window_is_marked_as_cut()
    {
        var mostlySpace = "a" + new string(' ', 10_000) + "b";
        ForeignText.Clean(mostlySpace).Should().EndWith("…");
    }

    [Test]
    public void A_surrogate_pair_is_never_split_and_cleaning_is_idempotent()
    {
        var text = new string('x', ForeignText.MaxLength - 2) + "😀😀😀";
        var once = ForeignText.Clean(text);
        once.Length.Should().BeLessThanOrEqualTo(ForeignText.MaxLength);
        char.IsHighSurrogate(once[^2]).Should().BeFalse();
        ForeignText.Clean(once).Should().Be(once);
        ForeignText.Clean(null).Should().BeEmpty();
    }

    [Test]
    public void Condition_messages_are_capped_below_the_api_servers_limit()
    {
        var conditions = new List<V1Condition>();
        Conditions.Set(conditions, "Ready", false, "R", new string('m', 100_000), 1, DateTime.UtcNow);
        conditions.Single().Message.Length.Should().Be(Conditions.MaxMessageLength);
        Conditions.Set(conditions, "Ready", false, "R", new string('n', 200_000), 1, DateTime.UtcNow);
        conditions.Single().Message.Length.Should().Be(Conditions.MaxMessageLength);
        Conditions.MaxMessageLength.Should().BeLessThan(32768);
    }

    [Test]
    public void Ecs_errors_keep_only_a_clean_bounded_message_and_code()
    {
        var body = $$"""{"__type":"com.amazonaws.ecs#{{new string('C', 5000)}}","message":"line1\nline2 <html>{{new string('z', 100_000)}}"}""";
        var e = EcsErrorMapper.Map(HttpStatusCode.BadRequest, body, null, new string('r', 10_000));
        e.Message.Should().Be($"line1 line2 {ForeignText.HtmlOmitted}");
        e.ErrorCode.Length.Should().BeLessThanOrEqualTo(EcsException.MaxErrorCodeLength);
        e.RequestId!.Length.Should().BeLessThanOrEqualTo(EcsException.MaxErrorCodeLength);
        EcsErrorMapper.Map(HttpStatusCode.BadRequest, $$"""{"__type":"InvalidParameterException","message":"{{new string('q', 100_000)}}"}""", null, null)
            .Message.Length.Should().Be(ForeignText.MaxLength);
    }
}

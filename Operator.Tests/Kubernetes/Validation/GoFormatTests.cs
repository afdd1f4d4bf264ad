using Operator.Testing.Kubernetes.Validation;

namespace Operator.Tests.Kubernetes.Validation;

/// <summary>Values in messages are printed like Go's fmt (%q, %v, %#v) in field.Error.</summary>
[TestFixture]
public class GoFormatTests
{
    [TestCase(1.5, "1.5")]
    [TestCase(1000.0, "1000")]
    [TestCase(100000.0, "100000")]
    [TestCase(1000000.0, "1e+06")]
    [TestCase(1234567.0, "1.234567e+06")]
    [TestCase(0.0001, "0.0001")]
    [TestCase(0.00001, "1e-05")]
    [TestCase(-2.25, "-2.25")]
    [TestCase(0.0, "0")]
    public void Floats_print_like_strconv_g_shortest(double value, string expected) =>
        GoFormat.Float(value).Should().Be(expected);

    [TestCase("abc", "\"abc\"")]
    [TestCase("a\"b\\c", "\"a\\\"b\\\\c\"")]
    [TestCase("l1\nl2\t", "\"l1\\nl2\\t\"")]
    [TestCase("héllo 😀", "\"héllo 😀\"")]
    [TestCase("\u0001", "\"\\x01\"")]
    public void Strings_print_like_strconv_quote(string value, string expected) =>
        GoFormat.Quote(value).Should().Be(expected);

    [Test]
    public void Error_values_use_q_for_strings_v_for_scalars_and_sharp_v_for_the_rest()
    {
        GoFormat.ErrorValue("x").Should().Be("\"x\"");
        GoFormat.ErrorValue(null).Should().Be("\"null\"", "v1.32.13 prints a nil bad value as the quoted string \"null\"");
        GoFormat.ErrorValue(7L).Should().Be("7");
        GoFormat.ErrorValue(true).Should().Be("true");
        GoFormat.ErrorValue(new Dictionary<string, object?> { ["b"] = 1L, ["a"] = "x" })
            .Should().Be("map[string]interface {}{\"a\":\"x\", \"b\":1}");
        GoFormat.ErrorValue(new List<object?> { "a", 1L, null })
            .Should().Be("[]interface {}{\"a\", 1, interface {}(nil)}");
    }
}

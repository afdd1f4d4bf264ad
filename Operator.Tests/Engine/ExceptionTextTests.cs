using System.Runtime.CompilerServices;
using Operator.Core.Text;

namespace Operator.Tests.Engine;

/// <summary>
/// <see cref="ExceptionText"/>: an exception as it may be logged keeps every frame (its own and its inner
/// exceptions') and every type, withholds a message that looks like it carries a secret, and keeps any other message.
/// </summary>
[TestFixture]
public sealed class ExceptionTextTests
{
    [TestCase("signing failed with wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "an AWS secret access key")]
    [TestCase("key " + "AKIA" + "TESTONLYNOTAKEY1" + " was refused", "an AWS access key id")]
    [TestCase("Authorization: Bearer abcdefgh.ijklmnop.qrstuvwx", "a bearer token")]
    [TestCase("token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln is expired", "a JWT")]
    [TestCase("password=hunter2", "a password")]
    [TestCase("-----BEGIN PRIVATE KEY----- MIIE", "a PEM block")]
    [TestCase("invalid body {\"password\": \"hunter2\"}", "a quoted password key")]
    [TestCase("config aws_secret_access_key = abcdefgh", "a secret key named in a config line")]
    [TestCase("{\"SecretAccessKey\":\"abcdefghij\"}", "a secret key in JSON")]
    [TestCase("data c2VjcmV0LXZhbHVlLXRoYXQtaXMtbG9uZy1lbm91Z2gtdG8tc2hvdw== in the annotation", "base64 data of 40 to 99 characters")]
    public void A_secret_bearing_message_is_withheld_and_every_frame_kept(string message, string what)
    {
        var e = Caught(() => Outer(message));

        var text = ExceptionText.Format(e);

        text.Should().NotContain(message.Split(' ').OrderByDescending(w => w.Length).First(), what);
        text.Should().Contain(ExceptionText.Withheld);
        text.Should().Contain($"at {typeof(ExceptionTextTests).FullName}.{nameof(Inner)}", "the inner exception's frames are kept")
            .And.Contain($"at {typeof(ExceptionTextTests).FullName}.{nameof(Outer)}", "the outer exception's frames are kept")
            .And.Contain(typeof(InvalidOperationException).FullName).And.Contain(typeof(ApplicationException).FullName);
    }

    [Test]
    public void A_message_without_a_secret_is_kept_as_foreign_text()
    {
        var e = Caught(() => Outer("the endpoint answered\n<html><body>502</body></html>"));

        var text = ExceptionText.Format(e);

        text.Should().Contain("the endpoint answered (HTML response omitted)").And.Contain("wrapping it");
    }

    [Test]
    public void Below_a_failure_in_safe_words_no_foreign_message_is_written_only_types_and_frames()
    {
        var foreign = Caught(() => Inner("ValidationError: ExternalId 'tenant-b-external-id' is invalid"));
        var reported = new AggregateException(new SafeWords("AwsError: the STS endpoint refused the request", foreign));

        var text = ExceptionText.Format(reported);

        text.Should().Contain("AwsError: the STS endpoint refused the request", "the safe words are written")
            .And.NotContain("tenant-b-external-id", "the wrapped answer may echo request parameters")
            .And.Contain(ExceptionText.NotLogged)
            .And.Contain(typeof(InvalidOperationException).FullName, "the wrapped exception's type is kept")
            .And.Contain($"at {typeof(ExceptionTextTests).FullName}.{nameof(Inner)}", "and its frames");
    }

    [Test]
    public void What_a_logger_is_given_writes_the_safe_text()
    {
        var e = Caught(() => Outer("secret: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));

        var logged = ExceptionText.ForLog(e)!;

        logged.ToString().Should().Be(ExceptionText.Format(e)).And.NotContain("wJalrXUtnFEMI");
        logged.Message.Should().Be("wrapping it");
        ExceptionText.ForLog(logged).Should().BeSameAs(logged, "made safe once");
        ExceptionText.ForLog(null).Should().BeNull();
    }

    private static Exception Caught(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            return e;
        }
        throw new AssertionException("nothing was thrown");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Outer(string message)
    {
        try
        {
            Inner(message);
        }
        catch (Exception e)
        {
            throw new ApplicationException("wrapping it", e);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Inner(string message) => throw new InvalidOperationException(message);

    private sealed class SafeWords(string message, Exception inner) : Exception(message, inner), ISafeMessageException;
}

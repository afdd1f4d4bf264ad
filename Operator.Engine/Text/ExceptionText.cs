using System.Text;
using System.Text.RegularExpressions;

namespace Operator.Core.Text;

/// <summary>
/// An exception as it may be logged: every frame of its stack trace and of its inner exceptions' (as
/// <see cref="Exception.ToString"/> writes them), the type of each, and each message made safe: a message that looks
/// like it carries a secret (an AWS access key id or secret key, a session token or JWT, a bearer or basic credential,
/// a PEM block, or <c>secret=</c>, <c>password:</c>, <c>token=</c>, <c>authorization:</c> and the like followed by a
/// value) is replaced by <see cref="Withheld"/>, and any other passes through <see cref="ForeignText.Clean"/> (no
/// control characters or HTML, at most <see cref="MaxMessageLength"/> characters). Frames are kept whole: they name
/// methods and source lines, never data. Below an <see cref="ISafeMessageException"/> (a failure already put into safe
/// words for status and Events) no message is written at all, only types and frames: what it wraps is a foreign answer
/// (AWS, STS, the API server) that may echo request parameters. <see cref="ForLog"/> wraps an exception so that any log
/// sink that writes <see cref="Exception.ToString"/> (the console formatters, a test's capture) writes this text instead.
/// </summary>
internal static partial class ExceptionText
{
    public const string Withheld = "(message withheld: it may carry a secret)";

    /// <summary>What is written for the message of an exception wrapped by an <see cref="ISafeMessageException"/>.</summary>
    public const string NotLogged = "(message not logged: the failure above says it in safe words)";

    public const int MaxMessageLength = 1024;

    /// <summary>The text of <paramref name="e"/> with frames kept and messages made safe.</summary>
    public static string Format(Exception e)
    {
        var text = new StringBuilder();
        Append(text, e, depth: 0, foreign: false);
        return text.ToString();
    }

    /// <summary><paramref name="message"/> as it may be logged (see the type's contract).</summary>
    public static string SafeMessage(string? message) =>
        message is not null && SecretBearing().IsMatch(message) ? Withheld : ForeignText.Clean(message, MaxMessageLength);

    /// <summary>An exception whose message and text are <paramref name="e"/>'s made safe, for a logger; null for null.</summary>
    public static Exception? ForLog(Exception? e) => e is null or LoggedException ? e : new LoggedException(e);

    private static void Append(StringBuilder text, Exception e, int depth, bool foreign)
    {
        text.Append(e.GetType().FullName).Append(": ").Append(foreign ? NotLogged : SafeMessage(e.Message));
        foreign |= e is ISafeMessageException;
        if (depth > 16)
        {
            return;
        }
        if (e is AggregateException aggregate)
        {
            for (var i = 0; i < aggregate.InnerExceptions.Count; i++)
            {
                text.Append(Environment.NewLine).Append(" ---> (Inner Exception #").Append(i).Append(") ");
                Append(text, aggregate.InnerExceptions[i], depth + 1, foreign);
                text.Append("<---");
            }
        }
        else if (e.InnerException is { } inner)
        {
            text.Append(Environment.NewLine).Append(" ---> ");
            Append(text, inner, depth + 1, foreign);
            text.Append(Environment.NewLine).Append("   --- End of inner exception stack trace ---");
        }
        if (e.StackTrace is { Length: > 0 } trace)
        {
            text.Append(Environment.NewLine).Append(trace);
        }
    }

    /// <summary>What a logger is given in place of the original: its text is <see cref="Format"/>'s.</summary>
    private sealed class LoggedException(Exception original) : Exception(SafeMessage(original.Message))
    {
        private readonly string _text = Format(original);

        public Type OriginalType { get; } = original.GetType();

        public override string? StackTrace => original.StackTrace;

        public override string ToString() => _text;
    }

    [GeneratedRegex(
        @"\b(?:AKIA|ASIA|AROA|AIDA|ANPA|AGPA)[A-Z0-9]{16}\b"                                  // an AWS access key id
        + @"|(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40,}={0,2}"                                     // an AWS secret access key, base64 data
        + @"|[A-Za-z0-9/+=_-]{100,}"                                                           // a session token, a long key
        + @"|\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\."                                            // a JWT (a web identity token)
        + @"|\b(?:bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"                                      // an Authorization value
        + @"|-----BEGIN [A-Z ]+-----"                                                           // a PEM block
        // a key naming a secret, followed by a value: password=…, "SecretAccessKey": …, aws_secret_access_key = …
        + @"|\w*(?:secret|password|passwd|token|credentials?|authorization|api[-_]?key|private[-_]?key|x-amz-security-token|signature)\w*[""']?\s*[:=]",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretBearing();
}

/// <summary>
/// An exception whose message is already safe to log and to show (a reason and a sanitised detail), wrapping a foreign
/// one whose message is not: <see cref="ExceptionText"/> writes the wrapped exceptions' types and frames only.
/// </summary>
internal interface ISafeMessageException;

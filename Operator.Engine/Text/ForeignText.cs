using System.Globalization;
using System.Text;

namespace Operator.Core.Text;

/// <summary>
/// The one place text we did not write (AWS and proxy error bodies, exception messages of libraries, answers of
/// endpoints a tenant chose) is made safe to put into status, Events and logs. <see cref="Clean"/> guarantees a
/// result of at most <see cref="MaxLength"/> characters (or the caller's limit) with no control or format
/// characters (newlines, ANSI escapes, bidi overrides), whitespace collapsed to single spaces, and no HTML: from the
/// first HTML marker on (<c>&lt;html</c>, <c>&lt;!doctype</c>, <c>&lt;body</c>, <c>&lt;script</c>, ...) the text is
/// replaced by <see cref="HtmlOmitted"/>. Callers apply it where foreign text enters, once; it is idempotent.
/// </summary>
internal static class ForeignText
{
    /// <summary>Characters of foreign text kept in one message.</summary>
    public const int MaxLength = 512;

    public const string HtmlOmitted = "(HTML response omitted)";

    private const string Ellipsis = "…";

    private static readonly string[] HtmlMarkers = ["<!doctype", "<html", "<head", "<body", "<script", "<style", "<iframe", "<title"];

    public static string Clean(string? text, int maxLength = MaxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, HtmlOmitted.Length + 1);
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        // Look at a bounded prefix only: a 100 KB body must not cost 100 KB of work per marker.
        var window = text.Length > maxLength * 8 ? text[..(maxLength * 8)] : text;
        var html = FirstHtmlMarker(window);
        var kept = html >= 0 ? window[..html] : window;
        var cleaned = Collapse(kept);
        if (html >= 0)
        {
            cleaned = cleaned.Length == 0 ? HtmlOmitted : $"{cleaned} {HtmlOmitted}";
            return cleaned.Length <= maxLength ? cleaned : $"{Truncate(cleaned, maxLength - HtmlOmitted.Length - 1)} {HtmlOmitted}";
        }

        return Truncate(cleaned, maxLength, force: window.Length < text.Length);
    }

    /// <summary>
    /// Cuts <paramref name="text"/> to at most <paramref name="maxLength"/> characters, ending in an ellipsis when cut,
    /// never between the halves of a surrogate pair. For text that is already clean (our own messages).
    /// </summary>
    public static string Truncate(string text, int maxLength) => Truncate(text, maxLength, force: false);

    private static string Truncate(string text, int maxLength, bool force)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        if (text.Length <= maxLength && !force)
        {
            return text;
        }

        var cut = Math.Min(text.Length, maxLength - Ellipsis.Length);
        if (cut > 0 && char.IsHighSurrogate(text[cut - 1]))
        {
            cut--;
        }

        return text[..cut].TrimEnd() + Ellipsis;
    }

    private static int FirstHtmlMarker(string text)
    {
        var first = -1;
        foreach (var marker in HtmlMarkers)
        {
            var at = text.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
            }
        }

        return first;
    }

    private static string Collapse(string text)
    {
        var sb = new StringBuilder(text.Length);
        var pendingSpace = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = sb.Length > 0;
                continue;
            }

            if (char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format)
            {
                continue;
            }

            if (pendingSpace)
            {
                sb.Append(' ');
                pendingSpace = false;
            }

            sb.Append(c);
        }

        return sb.ToString();
    }
}

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Operator.Hosting;

/// <summary>
/// The <c>--log-format text</c> line: <c>HH:mm:ss level category: scopes message</c>, one line per entry (an
/// exception's text follows on the same line). Scopes print as <c>key=value</c>, outermost first, on every line they
/// cover; a scope holding both <c>namespace</c> and <c>name</c> prints them as one <c>object=namespace/name</c> so a
/// line can be found by the object's key. Scopes that are not key/value lists print as their text. Values are
/// whatever the caller put in the scope: callers must never put a secret there (the operator puts only object keys,
/// controller names and reconcile IDs).
/// </summary>
internal sealed class TextLogFormatter(TimeProvider time) : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "infra-text";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }

        var line = new System.Text.StringBuilder();
        line.Append(time.GetLocalNow().ToString("HH:mm:ss ", System.Globalization.CultureInfo.InvariantCulture));
        line.Append(Level(logEntry.LogLevel)).Append(' ').Append(logEntry.Category).Append(": ");
        scopeProvider?.ForEachScope((scope, sb) => AppendScope(scope, sb), line);
        line.Append(message);
        if (logEntry.Exception is { } e)
        {
            line.Append(' ').Append(e.ToString().ReplaceLineEndings(" | "));
        }

        textWriter.Write(line.Append(Environment.NewLine).ToString());
    }

    private static void AppendScope(object? scope, System.Text.StringBuilder line)
    {
        if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            var list = pairs.Where(p => p.Key != "{OriginalFormat}").ToList();
            var ns = list.FirstOrDefault(p => p.Key == "namespace").Value;
            var name = list.FirstOrDefault(p => p.Key == "name").Value;
            var combine = ns is not null && name is not null;
            foreach (var (key, value) in list)
            {
                if (combine && key == "namespace")
                {
                    line.Append("object=").Append(ns).Append('/').Append(name).Append(' ');
                }
                else if (!(combine && key == "name"))
                {
                    line.Append(key).Append('=').Append(Quote(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture))).Append(' ');
                }
            }
        }
        else if (scope is not null)
        {
            line.Append(scope).Append(' ');
        }
    }

    private static string Quote(string? value) =>
        string.IsNullOrEmpty(value) ? "\"\"" : value.Any(c => char.IsWhiteSpace(c) || c == '"') ? "\"" + value.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"" : value;

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}

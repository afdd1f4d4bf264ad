using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Operator.Hosting;

/// <summary>
/// The <c>--log-format text</c> line: <c>HH:mm:ss level category: scopes message</c>, one line per entry (an
/// exception's text follows on the same line). When spans are exported (the host then tracks the activity in log
/// scopes), the trace and span ids end the line as <c>trace_id=… span_id=…</c>, after the message, so the line reads
/// the same with and without tracing; without an exporter there are none. Scopes print as <c>key=value</c>, outermost first, on every line they
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
        var trace = new TraceIds();
        scopeProvider?.ForEachScope((scope, state) => AppendScope(scope, state.Line, state.Trace), (Line: line, Trace: trace));
        line.Append(message);
        if (logEntry.Exception is { } e)
        {
            line.Append(' ').Append(e.ToString().ReplaceLineEndings(" | "));
        }
        if (trace.TraceId is not null)
        {
            line.Append(" trace_id=").Append(trace.TraceId).Append(" span_id=").Append(trace.SpanId);
        }

        textWriter.Write(line.Append(Environment.NewLine).ToString());
    }

    /// <summary>The ids of the innermost activity scope (ActivityTrackingOptions' TraceId and SpanId).</summary>
    private sealed class TraceIds
    {
        public string? TraceId { get; set; }
        public string? SpanId { get; set; }
    }

    private static void AppendScope(object? scope, System.Text.StringBuilder line, TraceIds trace)
    {
        if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            var list = pairs.Where(p => p.Key != "{OriginalFormat}").ToList();
            if (list.Any(p => p.Key is "TraceId" or "SpanId"))
            {
                // The activity's scope: kept for the end of the line.
                trace.TraceId = Convert.ToString(list.FirstOrDefault(p => p.Key == "TraceId").Value, System.Globalization.CultureInfo.InvariantCulture);
                trace.SpanId = Convert.ToString(list.FirstOrDefault(p => p.Key == "SpanId").Value, System.Globalization.CultureInfo.InvariantCulture);
                return;
            }
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

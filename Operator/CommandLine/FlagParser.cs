namespace Operator.CommandLine;

/// <summary>
/// Strict parsing of an executable's flags: every argument must be a known flag, given as <c>--name value</c> or
/// <c>--name=value</c>, with a value its <see cref="Flag.Kind"/> accepts; <c>--help</c> (or <c>-h</c>) asks for the
/// help text. Anything else is a <see cref="UsageException"/> whose message is one line naming the argument, which
/// the executable prints before exiting with <see cref="UsageException.ExitCode"/>. A flag given twice keeps its last
/// value, as the configuration binder did.
/// </summary>
internal static class FlagParser
{
    /// <summary>The settings the flags set (configuration key → value), or <see cref="FlagParse.Help"/>.</summary>
    public static FlagParse Parse(IReadOnlyList<string> args, IReadOnlyList<Flag> flags)
    {
        var byName = flags.ToDictionary(f => f.Name, StringComparer.Ordinal);
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h")
            {
                return FlagParse.Help;
            }
            var (name, inline) = arg.IndexOf('=', StringComparison.Ordinal) is var eq and > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
            if (!name.StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"unexpected argument '{arg}': every setting is a flag such as --workers 8 (see --help)");
            }
            if (!byName.TryGetValue(name, out var flag))
            {
                throw new UsageException($"unknown flag {name} (see --help for the flags)");
            }
            var value = inline;
            if (value is null)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new UsageException($"flag {name} needs a value ({flag.Kind.Placeholder})");
                }
                value = args[++i];
            }
            if (flag.Check(value) is { } problem)
            {
                throw new UsageException(problem);
            }
            values[flag.Name] = value;
            settings[flag.Setting] = value;
        }
        return new FlagParse(settings, values, ShowHelp: false);
    }

    /// <summary>The help text: a usage line, then per section a title and one line per flag with its value, default
    /// and meaning, and last --help itself.</summary>
    public static string Help(string usage, IReadOnlyList<FlagSection> sections)
    {
        var width = sections.SelectMany(s => s.Flags).Max(f => f.Name.Length + f.Kind.Placeholder.Length + 3) + 2;
        var text = new System.Text.StringBuilder(usage).Append('\n');
        foreach (var section in sections)
        {
            text.Append('\n').Append(section.Title).Append('\n');
            foreach (var flag in section.Flags)
            {
                text.Append($"  {flag.Name} {flag.Kind.Placeholder}".PadRight(width)).Append(flag.Help);
                if (flag.Default.Length > 0)
                {
                    text.Append(" (default: ").Append(flag.Default).Append(')');
                }
                text.Append('\n');
            }
        }
        return text.Append('\n').Append("  --help".PadRight(width)).Append("Print this help and exit.\n").ToString();
    }
}

/// <summary>A titled group of flags in the help text.</summary>
internal sealed record FlagSection(string Title, IReadOnlyList<Flag> Flags);

/// <summary>The outcome of <see cref="FlagParser.Parse"/>: configuration settings by key, raw values by flag name.</summary>
internal sealed record FlagParse(IReadOnlyDictionary<string, string?> Settings, IReadOnlyDictionary<string, string> Values, bool ShowHelp)
{
    public static readonly FlagParse Help = new(new Dictionary<string, string?>(), new Dictionary<string, string>(), ShowHelp: true);
}

/// <summary>A command line or a setting the executable cannot run with: one line for the user, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message)
{
    public const int ExitCode = 2;
}

/// <summary>The executable cannot start for a reason the user can fix (one line for the user), exit code 1.</summary>
internal sealed class StartupException(string message) : Exception(message)
{
    public const int ExitCode = 1;
}

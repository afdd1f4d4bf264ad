using System.Globalization;

namespace Operator.CommandLine;

/// <summary>
/// One command-line flag: its name (<c>--workers</c>), the configuration key it sets, the kind of value it takes,
/// the default and the help line. <see cref="Check"/> is the one place a flag's value is validated, so a bad value is
/// refused naming the flag before anything starts, instead of failing later in the configuration binder.
/// </summary>
internal sealed record Flag(string Name, string Setting, FlagKind Kind, string Default, string Help)
{
    /// <summary>Null when <paramref name="value"/> is valid for this flag; otherwise why not, naming the flag.</summary>
    public string? Check(string value) => Kind.Check(value) is { } why ? $"invalid value '{value}' for {Name}: {why}" : null;
}

/// <summary>What a flag's value must be; <see cref="Check"/> returns null for a valid value, else what was expected.</summary>
internal abstract record FlagKind
{
    public abstract string? Check(string value);

    /// <summary>The value placeholder shown by --help.</summary>
    public abstract string Placeholder { get; }

    public static FlagKind Integer(int min, int max) => new IntegerKind(min, max);
    /// <summary>A number above <paramref name="min"/> (or equal to it, when <paramref name="allowMin"/>).</summary>
    public static FlagKind Number(double min, bool allowMin = false) => new NumberKind(min, allowMin);
    public static readonly FlagKind Boolean = new BooleanKind();
    public static FlagKind Duration(bool allowZero = false) => new DurationKind(allowZero);
    /// <summary>One of <paramref name="values"/> (any case); --help shows them unless <paramref name="placeholder"/> stands for them.</summary>
    public static FlagKind OneOf(string? placeholder, params string[] values) => new ChoiceKind(placeholder, values);
    public static readonly FlagKind Text = new TextKind();

    private sealed record IntegerKind(int Min, int Max) : FlagKind
    {
        public override string Placeholder => "N";

        public override string? Check(string value) =>
            int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= Min && n <= Max
                ? null : $"expected an integer from {Min} to {Max}";
    }

    private sealed record NumberKind(double Min, bool AllowMin) : FlagKind
    {
        public override string Placeholder => "X";

        public override string? Check(string value) =>
            double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.IsFinite(x) && (x > Min || (AllowMin && x == Min))
                ? null : $"expected a number {(AllowMin ? "of at least" : "greater than")} {Min.ToString(CultureInfo.InvariantCulture)}";
    }

    private sealed record BooleanKind : FlagKind
    {
        public override string Placeholder => "true|false";

        public override string? Check(string value) => bool.TryParse(value, out _) ? null : "expected true or false";
    }

    private sealed record DurationKind(bool AllowZero) : FlagKind
    {
        public override string Placeholder => "hh:mm:ss";

        public override string? Check(string value) =>
            TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var t) && (t > TimeSpan.Zero || (AllowZero && t == TimeSpan.Zero))
                ? null : $"expected a duration as hh:mm:ss{(AllowZero ? "" : " greater than zero")}, e.g. 00:00:30";
    }

    private sealed record ChoiceKind(string? Name, string[] Values) : FlagKind
    {
        public override string Placeholder => Name ?? string.Join('|', Values);

        public override string? Check(string value) =>
            Values.Contains(value, StringComparer.OrdinalIgnoreCase) ? null : $"expected one of {string.Join(", ", Values)}";
    }

    private sealed record TextKind : FlagKind
    {
        public override string Placeholder => "TEXT";

        public override string? Check(string value) => value.Length > 0 ? null : "expected a non-empty value";
    }
}

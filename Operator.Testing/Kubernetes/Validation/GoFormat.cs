namespace Operator.Testing.Kubernetes.Validation;

/// <summary>
/// Formats values the way Go's fmt does in field.Error.ErrorBody(): strings with %q (strconv.Quote), numbers and
/// bools with %v, anything else (maps, slices from unstructured JSON) with %#v.
/// Values are "unstructured" CLR values: string, long, double, bool, null, Dictionary&lt;string, object?&gt;, List&lt;object?&gt;.
/// </summary>
internal static class GoFormat
{
    public static string ErrorValue(object? value) => value switch
    {
        // apimachinery v1.32's ErrorBody turns a nil BadValue into the string "null" and quotes it (seen on v1.32.13).
        null => "\"null\"",
        string s => Quote(s),
        long or int or bool or double => Plain(value),
        _ => SharpV(value),
    };

    /// <summary>%v of a scalar.</summary>
    public static string Plain(object? value) => value switch
    {
        null => "<nil>",
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        double d => Float(d),
        string s => s,
        _ => SharpV(value),
    };

    /// <summary>%#v of an unstructured value.</summary>
    public static string SharpV(object? value) => value switch
    {
        null => "interface {}(nil)",
        string s => Quote(s),
        bool or long or int or double => Plain(value),
        IDictionary<string, object?> map => "map[string]interface {}{" +
            string.Join(", ", map.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => Quote(kv.Key) + ":" + SharpV(kv.Value))) + "}",
        IList<object?> list => "[]interface {}{" + string.Join(", ", list.Select(SharpV)) + "}",
        _ => value.ToString() ?? "",
    };

    /// <summary>strconv.FormatFloat(f, 'g', -1, 64), which is what %v prints for a float64.</summary>
    public static string Float(double d)
    {
        if (double.IsNaN(d))
        {
            return "NaN";
        }

        if (double.IsPositiveInfinity(d))
        {
            return "+Inf";
        }

        if (double.IsNegativeInfinity(d))
        {
            return "-Inf";
        }

        if (d == 0)
        {
            return double.IsNegative(d) ? "-0" : "0";
        }

        // Shortest round-trip digits, then %e when the exponent is < -4 or >= 6 (strconv 'g' with shortest precision).
        var shortest = d.ToString("R", CultureInfo.InvariantCulture);
        var neg = d < 0;
        var abs = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        // Normalise to digits + exponent.
        string mantissa;
        int exp;
        var eIdx = abs.IndexOfAny(['E', 'e']);
        if (eIdx >= 0)
        {
            mantissa = abs[..eIdx];
            exp = int.Parse(abs[(eIdx + 1)..], CultureInfo.InvariantCulture);
        }
        else
        {
            mantissa = abs;
            exp = 0;
        }

        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        var fracPart = dot >= 0 ? mantissa[(dot + 1)..] : "";
        var digits = (intPart + fracPart).TrimStart('0');
        var leadingZeros = (intPart + fracPart).Length - (intPart + fracPart).TrimStart('0').Length;
        // decimal point position relative to digits start
        var dp = intPart.Length + exp - leadingZeros;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            return shortest;
        }

        var x = dp - 1;
        var sb = new StringBuilder();
        if (neg)
        {
            sb.Append('-');
        }

        if (x < -4 || x >= 6)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1)
            {
                sb.Append('.').Append(digits, 1, digits.Length - 1);
            }

            sb.Append('e').Append(x < 0 ? '-' : '+');
            var ax = Math.Abs(x);
            sb.Append(ax < 10 ? "0" + ax.ToString(CultureInfo.InvariantCulture) : ax.ToString(CultureInfo.InvariantCulture));
            return sb.ToString();
        }

        if (dp <= 0)
        {
            sb.Append("0.").Append('0', -dp).Append(digits);
        }
        else if (dp >= digits.Length)
        {
            sb.Append(digits).Append('0', dp - digits.Length);
        }
        else
        {
            sb.Append(digits, 0, dp).Append('.').Append(digits, dp, digits.Length - dp);
        }

        return sb.ToString();
    }

    /// <summary>strconv.Quote.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        sb.Append('"');
        foreach (var rune in s.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\a': sb.Append("\\a"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\v': sb.Append("\\v"); break;
                default:
                    if (rune.Value < 0x20 || rune.Value == 0x7f)
                    {
                        sb.Append("\\x").Append(rune.Value.ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
                             or UnicodeCategory.OtherNotAssigned or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
                             or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
                    {
                        sb.Append(rune.Value > 0xFFFF
                            ? "\\U" + rune.Value.ToString("x8", CultureInfo.InvariantCulture)
                            : "\\u" + rune.Value.ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(rune.ToString());
                    }

                    break;
            }
        }

        sb.Append('"');
        return sb.ToString();
    }
}

namespace Operator.Testing.Kubernetes.Validation;

/// <summary>
/// One field-level validation error, shaped like k8s.io/apimachinery's field.Error.
/// <see cref="Type"/> is the CauseType (e.g. "FieldValueInvalid"); <see cref="Field"/> the field path
/// (e.g. "spec.defaultCapacityProviderStrategy[0].weight"); <see cref="Message"/> the full text kube-apiserver prints
/// for the error (field.Error.Error()), e.g. <c>spec.clusterName: Required value</c>.
/// </summary>
public sealed record FieldError(string Field, string Type, string Message);

/// <summary>The k8s CauseType strings and their human-readable prefixes (field.ErrorType.String()).</summary>
internal static class FieldErrorTypes
{
    public const string Invalid = "FieldValueInvalid";
    public const string Required = "FieldValueRequired";
    public const string NotSupported = "FieldValueNotSupported";
    public const string TooLong = "FieldValueTooLong";
    public const string TooMany = "FieldValueTooMany";
    public const string TypeInvalid = "FieldValueTypeInvalid";
    public const string Forbidden = "FieldValueForbidden";
    public const string Duplicate = "FieldValueDuplicate";

    public static string Display(string type) => type switch
    {
        Invalid => "Invalid value",
        Required => "Required value",
        NotSupported => "Unsupported value",
        TooLong => "Too long",
        TooMany => "Too many",
        TypeInvalid => "Invalid value",
        Forbidden => "Forbidden",
        Duplicate => "Duplicate value",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown field error type"),
    };
}

/// <summary>Builds <see cref="FieldError"/>s exactly as field.Invalid/Required/... and field.Error.Error() do.</summary>
internal static class FieldErrors
{
    /// <summary>Marker for "no value shown" (field.omitValue).</summary>
    public static readonly object OmitValue = new();

    public static FieldError Create(string field, string type, object? badValue, string detail)
    {
        // field.Error.ErrorBody(): Required, Forbidden, TooLong (and omitted values) print only the type.
        string body;
        if (type is FieldErrorTypes.Required or FieldErrorTypes.Forbidden or FieldErrorTypes.TooLong
            || ReferenceEquals(badValue, OmitValue))
        {
            body = FieldErrorTypes.Display(type);
        }
        else
        {
            body = FieldErrorTypes.Display(type) + ": " + GoFormat.ErrorValue(badValue);
        }

        if (detail.Length != 0)
        {
            body += ": " + detail;
        }

        return new FieldError(field, type, field + ": " + body);
    }

    public static FieldError Invalid(string field, object? value, string detail) => Create(field, FieldErrorTypes.Invalid, value, detail);

    public static FieldError TypeInvalid(string field, object? value, string detail) => Create(field, FieldErrorTypes.TypeInvalid, value, detail);

    public static FieldError Required(string field, string detail) => Create(field, FieldErrorTypes.Required, "", detail);

    public static FieldError Forbidden(string field, string detail) => Create(field, FieldErrorTypes.Forbidden, "", detail);

    public static FieldError Duplicate(string field, object? value) => Create(field, FieldErrorTypes.Duplicate, value, "");

    public static FieldError NotSupported(string field, object? value, IEnumerable<string> validValues)
    {
        var quoted = validValues.Select(GoFormat.Quote).ToList();
        var detail = quoted.Count > 0 ? "supported values: " + string.Join(", ", quoted) : "";
        return Create(field, FieldErrorTypes.NotSupported, value, detail);
    }

    /// <summary>field.TooLong (kube-apiserver 1.32+; TooLongMaxLength delegates to it).</summary>
    public static FieldError TooLong(string field, long maxLength)
    {
        var detail = maxLength >= 0 ? $"may not be more than {maxLength} bytes" : "value is too long";
        return Create(field, FieldErrorTypes.TooLong, "<value omitted>", detail);
    }

    public static FieldError TooMany(string field, long actual, long max)
    {
        var detail = max >= 0 ? $"must have at most {max} items" : "too many items";
        return Create(field, FieldErrorTypes.TooMany, actual >= 0 ? actual : OmitValue, detail);
    }
}

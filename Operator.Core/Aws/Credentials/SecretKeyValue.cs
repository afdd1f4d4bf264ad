namespace Operator.Core.Aws.Credentials;

/// <summary>
/// One decoded Secret value and the resourceVersion of the Secret it came from. <see cref="ToString"/> redacts the
/// value, so the record is safe to log or to format by accident.
/// </summary>
internal sealed record SecretKeyValue(string Value, string? ResourceVersion)
{
    public override string ToString() => $"SecretKeyValue {{ Value = <redacted>, ResourceVersion = {ResourceVersion} }}";
}

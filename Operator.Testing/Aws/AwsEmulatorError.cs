namespace Operator.Testing.Aws;

/// <summary>An error the emulator answers with, as AWS would: error code, HTTP status, message.</summary>
internal sealed class AwsEmulatorError(string code, string message, int statusCode = 400) : Exception(message)
{
    public string Code { get; } = code;
    public int StatusCode { get; } = statusCode;

    public static AwsEmulatorError InvalidParameter(string message) => new("InvalidParameterException", message);
    public static AwsEmulatorError ClusterNotFound() => new("ClusterNotFoundException", "Cluster not found.");
}

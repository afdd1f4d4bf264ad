namespace Operator.Core.Aws.Credentials;

/// <summary>
/// Why an AWSProvider's credentials could not be produced or did not authenticate. <see cref="Reason"/> is one of
/// <see cref="ProviderCredentialsReasons"/> and is meant for a status condition's reason; the message names the Secret,
/// key or spec field involved and never contains secret material, so it may go into conditions, events and logs.
/// </summary>
internal sealed class ProviderCredentialsException : Exception, Text.ISafeMessageException
{
    public ProviderCredentialsException(string reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    public string Reason { get; }
}

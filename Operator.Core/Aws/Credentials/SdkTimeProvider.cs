using Amazon.Util.Internal;

namespace Operator.Core.Aws.Credentials;

/// <summary>
/// Lets the SDK's <see cref="Amazon.Runtime.RefreshingAWSCredentials"/> read time from a <see cref="TimeProvider"/>,
/// so expiry and pre-emptive refresh follow the injected clock (a FakeTimeProvider in tests).
/// </summary>
internal sealed class SdkTimeProvider(TimeProvider time) : ITimeProvider
{
    public DateTime CorrectedUtcNow => time.GetUtcNow().UtcDateTime;
}

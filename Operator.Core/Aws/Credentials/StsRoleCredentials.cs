using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.Util.Internal;
using StsCredentials = Amazon.SecurityToken.Model.Credentials;

namespace Operator.Core.Aws.Credentials;

/// <summary>
/// Temporary credentials from an STS role assumption, renewed by the SDK's <see cref="RefreshingAWSCredentials"/>:
/// the first use assumes the role, later uses return the cached credentials, and once fewer than
/// <see cref="StsClientOptions.PreemptExpiryTime"/> remain a use triggers a background renewal (the old credentials
/// stay in use until it completes). Time comes from the injected clock. Failures surface from credential resolution
/// (i.e. from the AWS call being signed) as <see cref="ProviderCredentialsException"/> when they are credentials
/// problems (credentials STS answered with that are outside <see cref="CredentialFormat"/> are one, and are never
/// used) (a renewal that runs out of <see cref="StsClientOptions.CallTimeout"/> is
/// <see cref="ProviderCredentialsReasons.EndpointUnreachable"/>), and as the SDK's exception otherwise.
/// </summary>
internal abstract class StsRoleCredentials : RefreshingAWSCredentials
{
    private readonly ITimeProvider _clock;
    private int _refreshCount;

    protected StsRoleCredentials(
        AmazonSecurityTokenServiceClient sts, string roleArn, string sessionName, string? endpoint,
        StsClientOptions options, ITimeProvider clock)
        : base(clock)
    {
        Sts = sts;
        RoleArn = roleArn;
        SessionName = sessionName;
        Endpoint = endpoint;
        Options = options;
        _clock = clock;
        PreemptExpiryTime = options.PreemptExpiryTime;
    }

    public string RoleArn { get; }

    public string SessionName { get; }

    /// <summary>
    /// How many times STS answered, for tests and diagnostics. Counted before the SDK stores the new state, so wait
    /// for <see cref="RefreshingAWSCredentials.Expiration"/> to move to know a renewal is in use.
    /// </summary>
    public int RefreshCount => _refreshCount;

    protected AmazonSecurityTokenServiceClient Sts { get; }

    protected string? Endpoint { get; }

    protected StsClientOptions Options { get; }

    protected abstract string Operation { get; }

    /// <param name="ct">Cancelled when <see cref="StsClientOptions.CallTimeout"/> runs out; pass it to the STS call.</param>
    protected abstract Task<StsCredentials> AssumeAsync(CancellationToken ct);

    // Only the SDK's synchronous GetCredentials path lands here; the operator signs asynchronously and has no
    // synchronization context, so blocking cannot deadlock.
    protected override CredentialsRefreshState GenerateNewCredentials() =>
        GenerateNewCredentialsAsync().GetAwaiter().GetResult();

    protected override async Task<CredentialsRefreshState> GenerateNewCredentialsAsync()
    {
        StsCredentials? c;
        // Nothing upstream can cancel a renewal (the SDK's credential resolution takes no token), so the call limit is
        // the only bound on how long a signing caller waits for it.
        using var limit = Options.LimitCall(CancellationToken.None);
        try
        {
            c = await AssumeAsync(limit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (StsErrors.Map(e, Operation, Endpoint, CancellationToken.None) is { } mapped)
        {
            throw mapped;
        }

        // The endpoint's answer is its own text: credentials that could not be sent as they are never are.
        foreach (var (part, value, name) in new[]
                 {
                     (CredentialFormat.Part.AccessKeyId, c?.AccessKeyId, "access key ID"),
                     (CredentialFormat.Part.SecretAccessKey, c?.SecretAccessKey, "secret access key"),
                     (CredentialFormat.Part.SessionToken, c?.SessionToken, "session token"),
                 })
        {
            if (CredentialFormat.Problem(part, value) is { } problem)
            {
                throw new ProviderCredentialsException(ProviderCredentialsReasons.InvalidCredentials,
                    $"{Operation} for role {RoleArn} answered with credentials that cannot be used: the {name} {problem}");
            }
        }

        Interlocked.Increment(ref _refreshCount);
        ArgumentNullException.ThrowIfNull(c); // checked above: an answer without credentials is refused as empty
        var expiration = c.Expiration?.ToUniversalTime() ?? _clock.CorrectedUtcNow + Options.SessionDuration;
        return new CredentialsRefreshState(
            new ImmutableCredentials(c.AccessKeyId, c.SecretAccessKey, c.SessionToken), expiration, _clock);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Sts.Dispose();
        }

        base.Dispose(disposing);
    }
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Kubernetes;

namespace Operator.Core.Aws.Credentials;

/// <remarks>
/// The last working credentials: what lets <c>kubectl delete -f dir/</c> finish when the Secrets are deleted before the
/// clusters. One entry per provider key, replaced by each successful identity check and matched on the provider's uid
/// and on the spec fields its credentials come from (so a re-created provider, or one pointed at other Secrets, a
/// region, role or endpoint, never inherits them; the generation is not compared, because setting
/// <c>deletionTimestamp</c> bumps it). The session object is held as is: its keys are never copied out, logged or
/// put in a message, and the entry goes with the process.
/// </remarks>
internal sealed partial class AwsCredentialsCache
{
    private readonly ConcurrentDictionary<string, Working> _working = new(StringComparer.Ordinal);

    public void RecordWorking(AWSProvider provider, ProviderSession session, string accountId) =>
        _working[ObjectKey.Of(provider)] = new Working(provider.Metadata.Uid, CredentialFields(provider.Spec), session, accountId);

    public string? LastWorkingAccount(AWSProvider provider) => LastWorking(provider)?.AccountId;

    public async Task<ProviderSession> GetForDeletionAsync(AWSProvider provider, CancellationToken ct)
    {
        try
        {
            return await GetAsync(provider, ct).ConfigureAwait(false);
        }
        catch (ProviderCredentialsException e) when (e.Reason == ProviderCredentialsReasons.SecretNotFound && LastWorking(provider) is { } last)
        {
            logger.LogInformation("{Problem}: deleting through provider {Provider} with its last working credentials (kept in memory only)",
                e.Message, ObjectKey.Of(provider));
            return last.Session;
        }
    }

    public void Forget(string providerKey) => _working.TryRemove(providerKey, out _);

    private Working? LastWorking(AWSProvider provider) =>
        _working.TryGetValue(ObjectKey.Of(provider), out var entry) && entry.Uid is { Length: > 0 } uid && uid == provider.Metadata.Uid
            && entry.Fields == CredentialFields(provider.Spec)
            ? entry
            : null;

    private static string CredentialFields(AWSProviderSpec spec) => string.Join('\n',
        spec.Region, spec.Endpoint, spec.RoleARN, spec.AssumeRoleARN, spec.ExternalID,
        Reference(spec.AccessKeyIDRef), Reference(spec.SecretAccessKeyRef), Reference(spec.SessionTokenRef));

    private static string Reference(SecretKeyReference? reference) => reference is null ? "" : $"{reference.Name}/{reference.Key}";

    private sealed record Working(string? Uid, string Fields, ProviderSession Session, string AccountId)
    {
        // A record's generated ToString would print the session's credentials object; name nothing but the account.
        public override string ToString() => $"Working {{ Uid = {Uid}, AccountId = {AccountId} }}";
    }
}

using System.Collections.Concurrent;

namespace Operator.Testing.Aws;

/// <summary>
/// The emulator's IAM: access key → identity (secret, account, ARN, optional session token). Thread-safe; tests add
/// keys, AssumeRole adds issued ones. Comes with one default user, <see cref="DefaultAccessKeyId"/> in
/// <see cref="DefaultAccountId"/>.
/// </summary>
internal sealed class AwsCredentialStore
{
    public const string DefaultAccessKeyId = "AKIDEMULATOR00000001";
    public const string DefaultSecretAccessKey = "emulator/secret/key/0000000000000000000";
    public const string DefaultAccountId = "123456789012";

    private readonly ConcurrentDictionary<string, AwsIdentity> _identities = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string AccessKeyId, string Action), bool> _denied = new();

    public AwsCredentialStore() => Add(DefaultAccessKeyId, DefaultSecretAccessKey, DefaultAccountId);

    public AwsIdentity Add(string accessKeyId, string secretAccessKey, string accountId, string? userName = null, string? sessionToken = null)
    {
        var identity = new AwsIdentity(accessKeyId, secretAccessKey, accountId,
            $"arn:aws:iam::{accountId}:user/{userName ?? "emulator-" + accessKeyId.ToLowerInvariant()}", sessionToken);
        _identities[accessKeyId] = identity;
        return identity;
    }

    public AwsIdentity Add(AwsIdentity identity) => _identities[identity.AccessKeyId] = identity;

    public bool Remove(string accessKeyId) => _identities.TryRemove(accessKeyId, out _);

    public AwsIdentity? Find(string accessKeyId) => _identities.GetValueOrDefault(accessKeyId);

    /// <summary>
    /// Withholds IAM actions (e.g. <c>ecs:ListServices</c>) from a key, as a policy without them would: the
    /// emulator then answers AccessDeniedException. Models the guide's minimal policy.
    /// </summary>
    public void Deny(string accessKeyId, params string[] actions)
    {
        foreach (var action in actions)
        {
            _denied[(accessKeyId, action)] = true;
        }
    }

    public bool IsDenied(string accessKeyId, string action) => _denied.ContainsKey((accessKeyId, action));
}

using Operator.Core.Aws.Credentials;
using Operator.Core.Aws.Ecs;

namespace Operator.Core.Aws;

/// <summary>
/// One ECS client per provider and credentials version, built by the <see cref="EcsClientFactory"/> (so every client
/// of one account and region draws from the same token bucket). Callers asking at once for the same provider and
/// version get the same client (what is keyed by client, such as the coalescing cluster lookup and its read-ahead,
/// relies on it). A new credentials version (rotated Secret, edited provider) gets a new client; the old one is
/// dropped. Thread-safe.
/// </summary>
internal sealed class EcsClientCache(EcsClientFactory factory)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (string Version, IEcsClient Client)> _clients = new(StringComparer.Ordinal);

    public IEcsClient Get(string providerKey, ProviderSession session, string accountId)
    {
        // Check and build under one lock: two passes that both missed must not each build a client and keep their own.
        lock (_gate)
        {
            if (_clients.TryGetValue(providerKey, out var cached) && cached.Version == session.Version)
            {
                return cached.Client;
            }
            var client = factory.Create(providerKey, session.Credentials, new EcsClientOptions
            {
                Region = session.Region,
                Endpoint = string.IsNullOrEmpty(session.Endpoint) ? null : new Uri(session.Endpoint),
            }, accountId);
            _clients[providerKey] = (session.Version, client);
            return client;
        }
    }

    public void Forget(string providerKey)
    {
        lock (_gate)
        {
            _clients.Remove(providerKey);
        }
    }
}

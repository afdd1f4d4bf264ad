using System.Collections.Concurrent;
using Operator.Core.Aws.Credentials;
using Operator.Core.Aws.Ecs;
using Operator.Core.Aws.Resilience;

namespace Operator.Core.Aws;

/// <summary>
/// One ECS client per provider and credentials version, each behind the shared resilience pipelines (so every
/// client of one account and region draws from the same token bucket). A new credentials version (rotated Secret,
/// edited provider) gets a new client; the old one is dropped. Thread-safe.
/// </summary>
internal sealed class EcsClientFactory(HttpClient http, AwsResiliencePipelines pipelines, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (string Version, IEcsClient Client)> clients = new(StringComparer.Ordinal);

    public IEcsClient Get(string providerKey, ProviderSession session, string accountId)
    {
        if (clients.TryGetValue(providerKey, out var cached) && cached.Version == session.Version)
        {
            return cached.Client;
        }
        var raw = new EcsClient(http, session.Credentials, new EcsClientOptions
        {
            Region = session.Region,
            Endpoint = string.IsNullOrEmpty(session.Endpoint) ? null : new Uri(session.Endpoint),
        }, time);
        var client = new ResilientEcsClient(raw, pipelines, accountId, session.Region);
        clients[providerKey] = (session.Version, client);
        return client;
    }

    public void Forget(string providerKey) => clients.TryRemove(providerKey, out _);
}

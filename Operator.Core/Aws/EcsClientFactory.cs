using Amazon.Runtime;
using Operator.Core.Aws.Http;
using Operator.Core.Aws.Ecs;
using Operator.Core.Aws.Resilience;

namespace Operator.Core.Aws;

/// <summary>
/// Builds the client stack the operator uses: the raw <see cref="EcsClient"/> on its provider's own connection pool
/// (<see cref="AwsHttpPools"/>: no connection shared with another provider, no redirect, bounded bodies), wrapped in a
/// <see cref="ResilientEcsClient"/> on the process-wide <see cref="AwsResiliencePipelines"/>, so every client for the
/// same account and region shares one token bucket. Register as a singleton; the clients it returns are cheap and
/// may be cached per (provider, credentials version).
/// </summary>
internal sealed class EcsClientFactory(AwsHttpPools pools, AwsResiliencePipelines pipelines, TimeProvider? time = null)
{
    /// <param name="providerKey">The provider ("namespace/name") whose connection pool carries the calls.</param>
    /// <param name="accountId">The account the credentials act in (from STS GetCallerIdentity): the rate-limit key.</param>
    public IEcsClient Create(string providerKey, AWSCredentials credentials, EcsClientOptions options, string accountId) =>
        new ResilientEcsClient(
            new EcsClient(pools.For(providerKey, options.Endpoint?.ToString()).Ecs, credentials, options, time ?? pipelines.Time),
            pipelines, accountId, options.Region);
}

using Amazon.Runtime;
using Operator.Core.Aws.Resilience;

namespace Operator.Core.Aws.Ecs;

/// <summary>
/// Builds the client stack the operator uses: the raw <see cref="EcsClient"/> wrapped in a
/// <see cref="ResilientEcsClient"/> on the process-wide <see cref="AwsResiliencePipelines"/>, so every client for
/// the same account and region shares one token bucket. Register as a singleton; the clients it returns are cheap
/// and may be cached per (provider, credentials version).
/// </summary>
internal sealed class EcsClientFactory(HttpClient http, AwsResiliencePipelines pipelines, TimeProvider? time = null)
{
    /// <param name="accountId">The account the credentials act in (from STS GetCallerIdentity): the rate-limit key.</param>
    public IEcsClient Create(AWSCredentials credentials, EcsClientOptions options, string accountId) =>
        new ResilientEcsClient(new EcsClient(http, credentials, options, time ?? pipelines.Time), pipelines, accountId, options.Region);
}

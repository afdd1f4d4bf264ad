using Amazon.Runtime;
using Operator.Core.Aws;
using Operator.Core.Aws.Credentials;
using Operator.Core.Aws.Http;
using Operator.Core.Aws.Resilience;

namespace Operator.Tests.Aws;

/// <summary>
/// <see cref="EcsClientCache"/>: one client per provider and credentials version, also when passes ask at once. What is
/// keyed by client relies on it: the coalescing cluster lookup keeps read-ahead answers per client, so a second client
/// for the same credentials would split one provider's lookups and their bookkeeping in two.
/// </summary>
[TestFixture]
public sealed class EcsClientCacheTests
{
    private const string Provider = "default/p";
    private const string Account = "123456789012";
    private static readonly AWSCredentials Credentials = new BasicAWSCredentials("AKIDEXAMPLE", "not-a-secret");

    [Test]
    public void Passes_asking_at_once_for_one_provider_and_version_share_one_client()
    {
        using var stack = new ClientStack();
        var cache = stack.Cache;
        const int passes = 4;
        for (var round = 0; round < 50; round++)
        {
            // A new version each round: every pass of the round misses the cache at once.
            var session = new ProviderSession(Provider, Credentials, "us-east-1", null, $"v{round}", "static credentials");
            var clients = new IEcsClient[passes];
            using var start = new Barrier(passes);
            var threads = Enumerable.Range(0, passes).Select(i => new Thread(() =>
            {
                start.SignalAndWait();
                clients[i] = cache.Get(Provider, session, Account);
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            clients.Distinct(ReferenceEqualityComparer.Instance).Should().ContainSingle($"round {round}: one client per provider and version");
            cache.Get(Provider, session, Account).Should().BeSameAs(clients[0], "the client the passes got is the one kept");
        }
    }

    [Test]
    public void A_new_credentials_version_gets_a_new_client_and_a_forgotten_provider_too()
    {
        using var stack = new ClientStack();
        var cache = stack.Cache;
        var first = cache.Get(Provider, new ProviderSession(Provider, Credentials, "us-east-1", null, "v1", "static credentials"), Account);
        var rotated = cache.Get(Provider, new ProviderSession(Provider, Credentials, "us-east-1", null, "v2", "static credentials"), Account);
        rotated.Should().NotBeSameAs(first);
        cache.Forget(Provider);
        cache.Get(Provider, new ProviderSession(Provider, Credentials, "us-east-1", null, "v2", "static credentials"), Account)
            .Should().NotBeSameAs(rotated);
    }

    /// <summary>The factory's dependencies, disposed together.</summary>
    private sealed class ClientStack : IDisposable
    {
        private readonly TestMeterFactory _meters = new();
        private readonly AwsResiliencePipelines _pipelines;
        private readonly AwsHttpPools _pools = new(new AwsHttpOptions(), TimeProvider.System);

        public ClientStack()
        {
            _pipelines = new AwsResiliencePipelines(new AwsResilienceOptions(), _meters);
            Cache = new EcsClientCache(new EcsClientFactory(_pools, _pipelines));
        }

        public EcsClientCache Cache { get; }

        public void Dispose()
        {
            _pools.Dispose();
            _pipelines.Dispose();
            _meters.Dispose();
        }
    }
}

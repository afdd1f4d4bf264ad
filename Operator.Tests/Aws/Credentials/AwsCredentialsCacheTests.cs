using Operator.Core.Api.V1Alpha1;
using static Operator.Tests.Aws.Credentials.CredentialsTestKit;

namespace Operator.Tests.Aws.Credentials;

public sealed class AwsCredentialsCacheTests
{
    private FakeTimeProvider _time = null!;
    private FakeSecretReader _secrets = null!;
    private CountingFactory _factory = null!;
    private AwsCredentialsCache _cache = null!;

    [SetUp]
    public void SetUp()
    {
        _time = FakeNow();
        _secrets = StaticSecrets();
        _factory = new CountingFactory(Factory(_secrets, time: _time));
        _cache = new AwsCredentialsCache(_factory, _time, CapturingLogs.Null.CreateLogger<AwsCredentialsCache>(),
            TimeSpan.FromMinutes(10));
    }

    [Test]
    public async Task The_same_provider_is_built_once()
    {
        var provider = StaticProvider();

        var first = await _cache.GetAsync(provider, default);
        var second = await _cache.GetAsync(provider, default);

        second.Should().BeSameAs(first);
        _factory.Builds.Should().Be(1);
        _secrets.Reads.Should().Be(2, "one build reads the two keys once");
    }

    [Test]
    public async Task Providers_are_cached_separately()
    {
        var a = await _cache.GetAsync(StaticProvider("a"), default);
        var b = await _cache.GetAsync(StaticProvider("b"), default);

        a.Should().NotBeSameAs(b);
        a.ProviderKey.Should().Be($"{Namespace}/a");
        _factory.Builds.Should().Be(2);
    }

    [Test]
    public async Task Invalidate_rebuilds_and_a_changed_secret_gives_a_new_version()
    {
        var provider = StaticProvider();
        var first = await _cache.GetAsync(provider, default);

        _secrets.Set(Namespace, "aws-credentials", "2", ("access-key-id", "AKIDROTATED"), ("secret-access-key", "rotated"));
        _cache.Invalidate(provider.Metadata.NamespaceProperty + "/" + provider.Metadata.Name);
        var second = await _cache.GetAsync(provider, default);

        _factory.Builds.Should().Be(2);
        second.Version.Should().NotBe(first.Version);
        (await second.Credentials.GetCredentialsAsync()).AccessKey.Should().Be("AKIDROTATED");
    }

    [Test]
    public async Task Invalidate_without_a_real_change_keeps_the_session()
    {
        var provider = StaticProvider();
        var first = await _cache.GetAsync(provider, default);

        _cache.Invalidate($"{Namespace}/static");
        var second = await _cache.GetAsync(provider, default);

        _factory.Builds.Should().Be(2);
        second.Should().BeSameAs(first, "an unchanged version keeps already-assumed credentials");
    }

    [Test]
    public async Task A_new_generation_or_uid_rebuilds()
    {
        var provider = StaticProvider();
        var first = await _cache.GetAsync(provider, default);

        provider.Metadata.Generation = 2;
        var second = await _cache.GetAsync(provider, default);
        provider.Metadata.Uid = "recreated";
        var third = await _cache.GetAsync(provider, default);

        _factory.Builds.Should().Be(3);
        new[] { first.Version, second.Version, third.Version }.Should().OnlyHaveUniqueItems();
    }

    [Test]
    public async Task A_changed_secret_resourceVersion_is_picked_up_at_the_periodic_recheck()
    {
        var provider = StaticProvider();
        var first = await _cache.GetAsync(provider, default);
        _secrets.Set(Namespace, "aws-credentials", "7", ("access-key-id", "AKIDROTATED"), ("secret-access-key", "rotated"));

        _time.Advance(TimeSpan.FromMinutes(9));
        (await _cache.GetAsync(provider, default)).Should().BeSameAs(first);

        _time.Advance(TimeSpan.FromMinutes(2));
        var rechecked = await _cache.GetAsync(provider, default);

        _factory.Builds.Should().Be(2);
        rechecked.Version.Should().NotBe(first.Version);
    }

    [Test]
    public async Task Concurrent_calls_build_once()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _factory.Gate = gate.Task;
        var provider = StaticProvider();

        var arrived = 0;
        var calls = Enumerable.Range(0, 32).Select(_ => Task.Run(() =>
        {
            Interlocked.Increment(ref arrived);
            return _cache.GetAsync(provider, default);
        })).ToList();
        // Every caller has started while the first build is held at the gate.
        await Eventually.UntilAsync(() => Volatile.Read(ref arrived) == 32 && _factory.Builds == 1, "all callers waiting on one build");
        gate.SetResult();
        var sessions = await Task.WhenAll(calls);

        _factory.Builds.Should().Be(1);
        sessions.Distinct().Should().ContainSingle();
    }

    [Test]
    public async Task A_failed_build_is_not_cached()
    {
        var provider = StaticProvider();
        _secrets.Remove(Namespace, "aws-credentials");

        var act = () => _cache.GetAsync(provider, default);
        (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which.Reason
            .Should().Be(ProviderCredentialsReasons.SecretNotFound);

        _secrets.Set(Namespace, "aws-credentials", "3", ("access-key-id", AccessKey), ("secret-access-key", SecretKey));
        (await _cache.GetAsync(provider, default)).Credentials.Should().BeOfType<BasicAWSCredentials>();
        _factory.Builds.Should().Be(2);
    }

    [Test]
    public async Task A_cancelled_waiter_does_not_disturb_the_build()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _factory.Gate = gate.Task;
        var provider = StaticProvider();
        var builder = _cache.GetAsync(provider, default);
        using var cts = new CancellationTokenSource();

        var waiter = _cache.GetAsync(provider, cts.Token);
        cts.Cancel();
        await FluentActions.Awaiting(() => waiter).Should().ThrowAsync<OperationCanceledException>();

        gate.SetResult();
        (await builder).ProviderKey.Should().Be($"{Namespace}/static");
        _factory.Builds.Should().Be(1);
    }

    private sealed class CountingFactory(IProviderSessionFactory inner) : IProviderSessionFactory
    {
        private int _builds;

        public int Builds => _builds;

        public Task? Gate { get; set; }

        public async Task<ProviderSession> CreateAsync(AWSProvider provider, CancellationToken ct)
        {
            Interlocked.Increment(ref _builds);
            if (Gate is not null)
            {
                await Gate.WaitAsync(ct);
            }

            return await inner.CreateAsync(provider, ct);
        }
    }
}

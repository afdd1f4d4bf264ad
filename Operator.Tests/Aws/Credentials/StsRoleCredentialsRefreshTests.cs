using Amazon.SecurityToken;
using StsCredentials = Amazon.SecurityToken.Model.Credentials;

namespace Operator.Tests.Aws.Credentials;

/// <summary>
/// The refresh decisions of <see cref="StsRoleCredentials"/> on a fake clock, with an STS stand-in whose sessions
/// are dated from that same clock (moto dates them from the real one).
/// </summary>
public sealed class StsRoleCredentialsRefreshTests
{
    private FakeTimeProvider _time = null!;
    private ScriptedRoleCredentials _creds = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        _creds = new ScriptedRoleCredentials(_time);
    }

    [TearDown]
    public void TearDown() => _creds.Dispose();

    [Test]
    public async Task Assumes_on_first_use_and_caches_until_the_preempt_window()
    {
        _creds.Calls.Should().Be(0, "building the credentials makes no STS call");

        (await _creds.GetCredentialsAsync()).AccessKey.Should().Be("ASIA1");
        _time.Advance(TimeSpan.FromMinutes(54));
        (await _creds.GetCredentialsAsync()).AccessKey.Should().Be("ASIA1");

        _creds.Calls.Should().Be(1);
    }

    [Test]
    public async Task Inside_the_preempt_window_renews_in_the_background_and_serves_the_old_keys_meanwhile()
    {
        await _creds.GetCredentialsAsync();
        var firstExpiration = _creds.Expiration;
        _time.Advance(TimeSpan.FromMinutes(56));

        (await _creds.GetCredentialsAsync()).AccessKey.Should().Be("ASIA1");

        // Expiration reads the stored state without triggering a refresh; it moves once the renewal is stored.
        await WaitUntil(() => _creds.Expiration != firstExpiration);
        _creds.Calls.Should().Be(2);

        (await _creds.GetCredentialsAsync()).AccessKey.Should().Be("ASIA2");
        _creds.Expiration.Should().BeAfter(_time.GetUtcNow().UtcDateTime.AddMinutes(50));
    }

    [Test]
    public async Task Expired_credentials_are_renewed_before_use()
    {
        await _creds.GetCredentialsAsync();
        _time.Advance(TimeSpan.FromMinutes(61));

        (await _creds.GetCredentialsAsync()).AccessKey.Should().Be("ASIA2");
        _creds.Calls.Should().Be(2);
    }

    [Test]
    public async Task A_failed_renewal_is_retried_on_the_next_use()
    {
        _creds.FailNext = new ProviderCredentialsException(ProviderCredentialsReasons.AccessDenied, "denied");

        var act = () => _creds.GetCredentialsAsync();
        (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which.Reason
            .Should().Be(ProviderCredentialsReasons.AccessDenied);

        (await _creds.GetCredentialsAsync()).AccessKey.Should().Be("ASIA2");
    }

    private static Task WaitUntil(Func<bool> condition) => Eventually.UntilAsync(condition, "the stored renewal");

    private sealed class ScriptedRoleCredentials(FakeTimeProvider time)
        : StsRoleCredentials(
            new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), Amazon.RegionEndpoint.USEast1),
            "arn:aws:iam::123456789012:role/r", "s", null, new StsClientOptions(), new SdkTimeProvider(time))
    {
        private int _calls;

        public int Calls => _calls;

        public Exception? FailNext { get; set; }

        protected override string Operation => "AssumeRole";

        protected override Task<StsCredentials> AssumeAsync(CancellationToken ct)
        {
            var n = Interlocked.Increment(ref _calls);
            if (FailNext is { } e)
            {
                FailNext = null;
                throw e;
            }

            return Task.FromResult(new StsCredentials
            {
                AccessKeyId = $"ASIA{n}",
                SecretAccessKey = "s",
                SessionToken = "t",
                Expiration = time.GetUtcNow().UtcDateTime.AddHours(1),
            });
        }
    }
}

using Amazon.Runtime;
using Amazon.SecurityToken;
using Microsoft.Extensions.Time.Testing;
using Operator.Core.Aws.Credentials;
using StsCredentials = Amazon.SecurityToken.Model.Credentials;

namespace Operator.Tests.Aws.Credentials;

/// <summary>
/// The refresh decisions of <see cref="StsRoleCredentials"/> on a fake clock, with an STS stand-in whose sessions
/// are dated from that same clock (moto dates them from the real one).
/// </summary>
public sealed class StsRoleCredentialsRefreshTests
{
    private FakeTimeProvider time = null!;
    private ScriptedRoleCredentials creds = null!;

    [SetUp]
    public void SetUp()
    {
        time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        creds = new ScriptedRoleCredentials(time);
    }

    [TearDown]
    public void TearDown() => creds.Dispose();

    [Test]
    public async Task Assumes_on_first_use_and_caches_until_the_preempt_window()
    {
        creds.Calls.Should().Be(0, "building the credentials makes no STS call");

        (await creds.GetCredentialsAsync()).AccessKey.Should().Be("ASIA1");
        time.Advance(TimeSpan.FromMinutes(54));
        (await creds.GetCredentialsAsync()).AccessKey.Should().Be("ASIA1");

        creds.Calls.Should().Be(1);
    }

    [Test]
    public async Task Inside_the_preempt_window_renews_in_the_background_and_serves_the_old_keys_meanwhile()
    {
        await creds.GetCredentialsAsync();
        var firstExpiration = creds.Expiration;
        time.Advance(TimeSpan.FromMinutes(56));

        (await creds.GetCredentialsAsync()).AccessKey.Should().Be("ASIA1");

        // Expiration reads the stored state without triggering a refresh; it moves once the renewal is stored.
        await WaitUntil(() => creds.Expiration != firstExpiration);
        creds.Calls.Should().Be(2);

        (await creds.GetCredentialsAsync()).AccessKey.Should().Be("ASIA2");
        creds.Expiration.Should().BeAfter(time.GetUtcNow().UtcDateTime.AddMinutes(50));
    }

    [Test]
    public async Task Expired_credentials_are_renewed_before_use()
    {
        await creds.GetCredentialsAsync();
        time.Advance(TimeSpan.FromMinutes(61));

        (await creds.GetCredentialsAsync()).AccessKey.Should().Be("ASIA2");
        creds.Calls.Should().Be(2);
    }

    [Test]
    public async Task A_failed_renewal_is_retried_on_the_next_use()
    {
        creds.FailNext = new ProviderCredentialsException(ProviderCredentialsReasons.AccessDenied, "denied");

        var act = () => creds.GetCredentialsAsync();
        (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which.Reason
            .Should().Be(ProviderCredentialsReasons.AccessDenied);

        (await creds.GetCredentialsAsync()).AccessKey.Should().Be("ASIA2");
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10));
            await Task.Delay(10);
        }
    }

    private sealed class ScriptedRoleCredentials(FakeTimeProvider time)
        : StsRoleCredentials(
            new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), Amazon.RegionEndpoint.USEast1),
            "arn:aws:iam::123456789012:role/r", "s", null, new StsClientOptions(), new SdkTimeProvider(time))
    {
        private int calls;

        public int Calls => calls;

        public Exception? FailNext { get; set; }

        protected override string Operation => "AssumeRole";

        protected override Task<StsCredentials> AssumeAsync(CancellationToken ct)
        {
            var n = Interlocked.Increment(ref calls);
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

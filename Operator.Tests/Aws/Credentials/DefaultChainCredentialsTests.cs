namespace Operator.Tests.Aws.Credentials;

public sealed class DefaultChainCredentialsTests
{
    [Test]
    public async Task Resolves_on_first_use_and_asks_the_resolved_credentials_each_time()
    {
        var resolutions = 0;
        var chain = new DefaultChainCredentials(() =>
        {
            resolutions++;
            return Task.FromResult<AWSCredentials>(new BasicAWSCredentials("AKIDCHAIN", "chain-secret"));
        });
        resolutions.Should().Be(0);

        (await chain.GetCredentialsAsync()).AccessKey.Should().Be("AKIDCHAIN");
        chain.GetCredentials().SecretKey.Should().Be("chain-secret");
        resolutions.Should().Be(2, "the SDK resolver does its own caching, so the wrapper asks it every time");
    }

    [Test]
    public async Task An_empty_chain_is_InvalidCredentials()
    {
        var chain = new DefaultChainCredentials(() => throw new AmazonClientException("Failed to resolve AWS credentials."));

        var act = () => chain.GetCredentialsAsync();

        (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which.Reason
            .Should().Be(ProviderCredentialsReasons.InvalidCredentials);
    }
}

namespace Operator.Tests.Aws.Credentials;

public sealed class RoleSessionNameTests
{
    [Test]
    public void Names_the_provider()
    {
        RoleSessionName.For("default", "production-aws").Should().Be("infra-operator-default-production-aws");
    }

    [Test]
    public void Is_truncated_to_64_characters_of_the_sts_charset()
    {
        var name = RoleSessionName.For(new string('n', 63), new string('p', 253));
        name.Should().HaveLength(64).And.StartWith("infra-operator-nnn");
        Regex.IsMatch(name, @"^[\w+=,.@-]{2,64}$").Should().BeTrue();
    }

    [Test]
    public void Replaces_characters_sts_rejects()
    {
        RoleSessionName.For("ns", "a/b c:d").Should().Be("infra-operator-ns-a-b-c-d");
    }
}

using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.Aws.Credentials;

public sealed class ProviderAccessTests
{
    private static AWSProvider In(string ns, params string[]? allowed) => new()
    {
        Metadata = new k8s.Models.V1ObjectMeta { Name = "p", NamespaceProperty = ns },
        Spec = new AWSProviderSpec { Region = "us-east-1", AllowedNamespaces = allowed?.ToList() },
    };

    [Test]
    public void Own_namespace_is_always_allowed()
    {
        ProviderAccess.IsAllowed(In("infra", null), "infra").Should().BeTrue();
        ProviderAccess.IsAllowed(In("infra", []), "infra").Should().BeTrue();
        ProviderAccess.IsAllowed(In("infra", "team-a"), "infra").Should().BeTrue();
    }

    [Test]
    public void Other_namespaces_are_denied_by_default()
    {
        ProviderAccess.IsAllowed(In("infra", null), "team-a").Should().BeFalse();
        ProviderAccess.IsAllowed(In("infra", []), "team-a").Should().BeFalse();
    }

    [Test]
    public void Listed_namespaces_are_allowed_and_only_those()
    {
        var provider = In("infra", "team-a", "team-b");
        ProviderAccess.IsAllowed(provider, "team-a").Should().BeTrue();
        ProviderAccess.IsAllowed(provider, "team-b").Should().BeTrue();
        ProviderAccess.IsAllowed(provider, "team-c").Should().BeFalse();
        ProviderAccess.IsAllowed(provider, "Team-A").Should().BeFalse("namespace names are case-sensitive");
    }

    [Test]
    public void Star_allows_every_namespace()
    {
        ProviderAccess.IsAllowed(In("infra", "*"), "anything").Should().BeTrue();
        ProviderAccess.IsAllowed(In("infra", "team-a", "*"), "kube-system").Should().BeTrue();
    }
}

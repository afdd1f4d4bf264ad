namespace Operator.Tests.Deploy;

/// <summary>
/// The roles shipped for tenants (manifests/rbac/tenant-roles) and the tenant policy flags the overlays set: an
/// ECSCluster editor (aggregated into edit) cannot change which AWS identity or endpoint a namespace uses, and every
/// overlay's policy parses as the operator would parse it.
/// </summary>
public sealed class TenantRoleTests
{
    private static readonly string[] Writes = ["create", "update", "patch", "delete", "deletecollection"];

    [Test]
    public async Task Cluster_editors_are_aggregated_into_edit_and_cannot_write_providers_or_secrets()
    {
        var objects = await Kustomize.BuildAsync(Kustomize.Repo("manifests", "rbac", "tenant-roles"));
        var editor = objects.Single("ClusterRole", "infra-operator-ecscluster-editor");
        var rules = Manifest.Items(editor["rules"]).Select(RbacRules.PolicyRule.From).ToList();

        Manifest.StringMap(editor["metadata"]!["labels"]).Should().Contain("rbac.authorization.k8s.io/aggregate-to-edit", "true");
        rules.Where(r => r.Resources.Contains("ecsclusters")).SelectMany(r => r.Verbs).Should().Contain(Writes);
        rules.Where(r => r.Resources.Any(x => x.StartsWith("awsproviders", StringComparison.Ordinal) || x == "secrets" || x.EndsWith("/status", StringComparison.Ordinal)))
            .SelectMany(r => r.Verbs).Should().NotContain(Writes, "choosing an AWS identity or endpoint is the provider admin's job");
    }

    [Test]
    public async Task The_provider_admin_role_is_granted_on_purpose_only()
    {
        var objects = await Kustomize.BuildAsync(Kustomize.Repo("manifests", "rbac", "tenant-roles"));
        var admin = objects.Single("ClusterRole", "infra-operator-awsprovider-admin");

        Manifest.StringMap(admin["metadata"]!["labels"]).Keys.Should().NotContain(k => k.StartsWith("rbac.authorization.k8s.io/aggregate-to", StringComparison.Ordinal));
        Manifest.Items(admin["rules"]).Select(RbacRules.PolicyRule.From).Where(r => r.Resources.Contains("awsproviders"))
            .SelectMany(r => r.Verbs).Should().Contain(Writes);
        objects.OfKind("ClusterRoleBinding").Concat(objects.OfKind("RoleBinding")).Should().BeEmpty("the admin binds the roles");
    }

    [TestCase("dev", "http://localstack.localstack.svc.cluster.local:4566", true)]
    [TestCase("dev", "http://attacker.example:4566", false)]
    [TestCase("production", "http://localstack.localstack.svc.cluster.local:4566", false)]
    [TestCase("production", "https://sts.us-east-1.amazonaws.com", true)]
    [TestCase("staging", "http://169.254.169.254", false)]
    [TestCase("base", "http://localstack.localstack.svc.cluster.local:4566", false)]
    public async Task Each_environment_states_its_tenant_policy(string env, string endpoint, bool allowed)
    {
        var policy = await PolicyOf(env);

        policy.EndpointAllowed(new Uri(endpoint), "us-east-1").Should().Be(allowed);
        policy.RoleAllowed("arn:aws:iam::123456789012:role/infra-operator-role", "production").Should().Be(env != "base", "the guide's role");
        policy.RoleAllowed("arn:aws:iam::999999999999:role/infra-operator-role", "production").Should().BeFalse();
    }

    [TestCase("arn:aws:iam::123456789012:role/infra-operator-role", "production", true)]
    [TestCase("arn:aws:iam::123456789012:role/infra-operator-role", "default", true)]
    [TestCase("arn:aws:iam::123456789012:role/infra-operator-role", "team-a", false)]
    [TestCase("arn:aws:iam::123456789012:role/infra-operator/team-a/deployer", "team-a", true)]
    [TestCase("arn:aws:iam::123456789012:role/infra-operator/team-a/deployer", "team-b", false)]
    [TestCase("arn:aws-cn:iam::123456789012:role/infra-operator/team-a/deployer", "team-a", false)]
    public async Task Production_scopes_the_roles_of_the_operators_identity_to_namespaces(string arn, string ns, bool allowed) =>
        (await PolicyOf("production")).RoleAllowed(arn, ns).Should().Be(allowed);

    private static async Task<ProviderPolicy> PolicyOf(string env)
    {
        var objects = await Kustomize.BuildAsync(env == "base" ? Kustomize.Repo("deploy", "base") : Kustomize.Overlay(env));
        var args = Manifest.Strings(Manifest.OperatorDeploymentOf(objects).PodSpec().AllContainers()[0]["args"]);
        return ProviderPolicy.FromFlags(Manifest.Flag(args, "--allowed-endpoints"), Manifest.Flag(args, "--allowed-role-arns"),
            Manifest.Flag(args, "--default-credentials-namespaces"), Manifest.Flag(args, "--aws-endpoint"));
    }
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using k8s;
using Operator.Hosting;

namespace Operator.Tests.Engine;

/// <summary>
/// <see cref="KubeconfigFile"/> reads a kubeconfig as the library's own loader does (same server, credentials, namespace,
/// CA, selected context), resolving relative paths against the file's directory.
/// </summary>
[TestFixture]
public sealed class KubeconfigFileTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("kubeconfig-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Gives_what_the_librarys_loader_gives_for_the_same_file()
    {
        using var key = ECDsa.Create();
        using var ca = new CertificateRequest("CN=test-ca", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        Directory.CreateDirectory(Path.Combine(_dir, "certs"));
        File.WriteAllText(Path.Combine(_dir, "certs", "ca.crt"), ca.ExportCertificatePem());
        var path = Path.Combine(_dir, "config");
        File.WriteAllText(path, """
            apiVersion: v1
            kind: Config
            current-context: second
            preferences: {}
            clusters:
            - name: one
              cluster:
                server: https://one.example:6443
                insecure-skip-tls-verify: true
            - name: two
              cluster:
                server: https://two.example:6443
                certificate-authority: certs/ca.crt
                tls-server-name: api.two.example
                unknown-field: ignored
            contexts:
            - name: first
              context: {cluster: one, user: alice}
            - name: second
              context: {cluster: two, user: bob, namespace: team-a}
            users:
            - name: alice
              user: {token: alice-token}
            - name: bob
              user: {token: bob-token}
            """);

        var ours = KubeconfigFile.Load(path);
        var library = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);

        ours.Host.Should().Be("https://two.example:6443").And.Be(library.Host);
        ours.AccessToken.Should().Be("bob-token").And.Be(library.AccessToken);
        ours.Namespace.Should().Be("team-a").And.Be(library.Namespace);
        ours.TlsServerName.Should().Be("api.two.example").And.Be(library.TlsServerName);
        ours.SkipTlsVerify.Should().BeFalse().And.Be(library.SkipTlsVerify);
        ours.SslCaCerts.Should().ContainSingle().Which.Thumbprint.Should().Be(ca.Thumbprint, "certs/ca.crt is relative to the file");
        ours.CurrentContext.Should().Be("second").And.Be(library.CurrentContext);
    }

    [Test]
    public void The_single_file_KUBECONFIG_names_is_the_default()
    {
        var path = Path.Combine(_dir, "only");
        File.WriteAllText(path, """
            apiVersion: v1
            kind: Config
            current-context: c
            clusters: [{name: k, cluster: {server: "http://127.0.0.1:8001"}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            users: [{name: u, user: {username: admin, password: secret}}]
            """);

        var config = KubeconfigFile.LoadDefault(path);

        config.Host.Should().Be("http://127.0.0.1:8001");
        config.Username.Should().Be("admin");
    }

    [Test]
    public void A_missing_file_is_named_in_the_error()
    {
        var missing = Path.Combine(_dir, "nope");

        var act = () => KubeconfigFile.Load(missing);

        act.Should().Throw<FileNotFoundException>().WithMessage($"*{missing}*");
    }
}

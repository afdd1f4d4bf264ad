using k8s.Autorest;
using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.Lane;

/// <summary>
/// The lane's API servers behave alike where the operator depends on them: installed from manifests/, the operator's
/// ServiceAccount may do exactly what the shipped RBAC grants (a request outside it is refused with 403), and an
/// API server restart, graceful or hard, ends with the server serving the same objects again.
/// </summary>
[TestFixtureSource(typeof(Lanes), nameof(Lanes.Backends))]
public sealed class LaneControlPlaneTests(LaneBackend backend)
{
    private LaneControlPlane _plane = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _plane = await LaneControlPlane.StartAsync(backend);

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_plane is not null)
        {
            await _plane.DisposeAsync();
        }
    }

    [Test]
    public async Task The_operators_ServiceAccount_may_do_what_the_shipped_RBAC_grants_and_nothing_else()
    {
        using var client = _plane.CreateOperatorClient();
        var clusters = await client.CustomObjects.ListClusterCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, ECSCluster.PluralName);
        clusters.Should().NotBeNull();
        await client.CoreV1.ListSecretForAllNamespacesAsync(limit: 1);

        var denied = async () => await client.CoreV1.ListNamespacedConfigMapAsync("default");
        (await denied.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var leaseElsewhere = async () => await client.CoordinationV1.ReadNamespacedLeaseAsync("infra-operator-leader", "default");
        (await leaseElsewhere.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode.Should().Be(HttpStatusCode.Forbidden,
            "Leases are granted in the operator's namespace only");
        var lease = async () => await client.CoordinationV1.ReadNamespacedLeaseAsync("infra-operator-leader", "infra-operator-system");
        (await lease.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode.Should().Be(HttpStatusCode.NotFound,
            "the operator may read its Lease, which does not exist yet");
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task An_API_server_restart_serves_the_same_objects_again(bool hard)
    {
        var name = hard ? "after-hard-restart" : "after-graceful-restart";
        await _plane.KubectlAsync(["create", "configmap", name, "-n", "default", "--from-literal=k=v"]);
        await _plane.RestartApiServerAsync(hard, TimeSpan.FromSeconds(2));
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                return (await _plane.Admin.CoreV1.ReadNamespacedConfigMapAsync(name, "default")).Data["k"] == "v";
            }
            catch (Exception e) when (e is HttpRequestException or HttpOperationException)
            {
                return false;
            }
        }, $"{_plane.Description} to serve {name} after the restart", TimeSpan.FromSeconds(120));
    }
}

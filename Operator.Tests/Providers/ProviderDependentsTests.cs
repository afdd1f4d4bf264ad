using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.Providers;

/// <summary>
/// <see cref="ProviderDependents.Map"/>: an AWSProvider change wakes the ECSClusters that use it exactly when it changes
/// what <see cref="ProviderResolver"/> decides from; a resync or a routine re-check wakes nobody.
/// </summary>
[TestFixture]
public sealed class ProviderDependentsTests
{
    private ObjectStore<ECSCluster> _clusters = null!;
    private Func<AWSProvider?, AWSProvider?, IEnumerable<string>> _map = null!;

    [SetUp]
    public void SetUp()
    {
        _clusters = new ObjectStore<ECSCluster>();
        _clusters.AddIndex(ProviderReconciler.ClustersByProviderIndex, c => [ProviderResolver.ProviderKey(c)]);
        _clusters.Upsert(Cluster("default", "a", "p"));
        _clusters.Upsert(Cluster("team", "b", "p", providerNamespace: "default"));
        _clusters.Upsert(Cluster("default", "other", "q"));
        _map = ProviderDependents.Map(_clusters);
    }

    [Test]
    public void An_add_or_a_delete_wakes_every_user()
    {
        _map(null, Provider()).Should().BeEquivalentTo("default/a", "team/b");
        _map(Provider(), null).Should().BeEquivalentTo("default/a", "team/b");
    }

    [Test]
    public void A_resync_or_a_routine_recheck_wakes_nobody()
    {
        _map(Provider(), Provider()).Should().BeEmpty();
        _map(Provider(), Provider(p => p.Status!.LastAuthenticationTime = DateTime.UnixEpoch)).Should().BeEmpty();
        _map(Provider(), Provider(p => p.Metadata.Labels = new Dictionary<string, string> { ["x"] = "y" })).Should().BeEmpty();
    }

    public static IEnumerable<TestCaseData> Changes()
    {
        yield return new TestCaseData((Action<AWSProvider>)(p => p.Status!.Ready = false)).SetArgDisplayNames("readiness");
        yield return new TestCaseData((Action<AWSProvider>)(p => p.Status!.AccountID = "999999999999")).SetArgDisplayNames("account");
        yield return new TestCaseData((Action<AWSProvider>)(p => p.Status!.ObservedGeneration = 2)).SetArgDisplayNames("generation validated");
        yield return new TestCaseData((Action<AWSProvider>)(p => p.Metadata.Generation = 2)).SetArgDisplayNames("generation to validate");
        yield return new TestCaseData((Action<AWSProvider>)(p => p.Status!.Conditions![0].Reason = "InvalidCredentials")).SetArgDisplayNames("Ready reason");
        yield return new TestCaseData((Action<AWSProvider>)(p => p.Spec.AllowedNamespaces = ["team"])).SetArgDisplayNames("allowed namespaces");
    }

    [TestCaseSource(nameof(Changes))]
    public void A_change_of_what_the_resolver_reads_wakes_the_users(Action<AWSProvider> change) =>
        _map(Provider(), Provider(change)).Should().BeEquivalentTo("default/a", "team/b");

    private static ECSCluster Cluster(string ns, string name, string provider, string? providerNamespace = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new ECSClusterSpec { ProviderRef = new ProviderReference { Name = provider, Namespace = providerNamespace }, ClusterName = name },
    };

    private static AWSProvider Provider(Action<AWSProvider>? edit = null)
    {
        var provider = new AWSProvider
        {
            Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "default", Generation = 1 },
            Spec = new AWSProviderSpec { Region = "us-east-1", AllowedNamespaces = ["*"] },
            Status = new AWSProviderStatus
            {
                Ready = true, AccountID = "123456789012", ObservedGeneration = 1, LastAuthenticationTime = DateTime.UnixEpoch.AddYears(50),
                Conditions = [new V1Condition { Type = ProviderConditions.Ready, Status = Conditions.True, Reason = "Authenticated", Message = "ok" }],
            },
        };
        edit?.Invoke(provider);
        return provider;
    }
}

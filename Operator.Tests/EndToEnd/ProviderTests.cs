using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.EndToEnd;

/// <summary>Credentials, rotation, the namespace policy and secret hygiene, against the running operator.</summary>
[TestFixture]
public sealed class ProviderTests
{
    private const string LeakCanary = "Zx9-LEAK-CANARY-SECRET-93f1a7";
    private OperatorTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _bed = await OperatorTestBed.StartAsync(awsOptions: new Operator.Testing.Aws.AwsEmulatorOptions { RecordRequests = true });
        _bed.Aws.Credentials.Add("AKIDCANARY", LeakCanary, OperatorTestBed.Account, "canary");
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task Bad_credentials_give_a_clear_condition_and_rotating_the_secret_fixes_them_without_a_restart()
    {
        await _bed.CreateStaticProviderAsync("default", "rotating", accessKey: "AKIDCANARY", secretKey: "wrong-" + LeakCanary);
        await Eventually.UntilAsync(async () => (await _bed.GetProviderAsync("default", "rotating"))?.Status?.Conditions?
            .Any(c => c.Type == "Ready" && c.Status == "False" && c.Reason == "InvalidCredentials") == true, "InvalidCredentials");
        await _bed.Kube.CreateClusterAsync("default", "waits-for-provider", provider: "rotating");
        await _bed.WaitForClusterAsync("default", "waits-for-provider",
            c => c.Status?.Conditions?.Any(x => x.Type == ClusterConditions.ProviderNotReady && x.Status == "True") == true, "ProviderNotReady");

        var secret = await _bed.Client.CoreV1.ReadNamespacedSecretAsync("rotating-credentials", "default");
        secret.Data["secret-access-key"] = System.Text.Encoding.UTF8.GetBytes(LeakCanary);
        secret.Metadata.ManagedFields = null; // the server's own; the client's generated JSON cannot write them back
        await _bed.Client.CoreV1.ReplaceNamespacedSecretAsync(secret, "rotating-credentials", "default");

        await _bed.WaitProviderReadyAsync("default", "rotating");
        await _bed.WaitReadyAsync("default", "waits-for-provider");

        var everything = _bed.Logs.All + await StatusAndEventsTextAsync();
        everything.Should().NotContain(LeakCanary, "secret material never reaches logs, status or events");
        var sent = string.Join("\n", _bed.Aws.RecordedRequests);
        sent.Should().Contain("AKIDCANARY", "the requests the endpoint received are searched");
        sent.Should().NotContain(LeakCanary, "a secret key is only ever used to sign, never sent to an endpoint");
    }

    [Test]
    public async Task A_missing_secret_is_reported_as_SecretNotFound()
    {
        await _bed.CreateAsync(new JsonObject
        {
            ["apiVersion"] = ApiGroup.ApiVersion, ["kind"] = AWSProvider.KindName,
            ["metadata"] = new JsonObject { ["name"] = "no-secret" },
            ["spec"] = new JsonObject
            {
                ["region"] = "us-east-1",
                ["accessKeyIDRef"] = new JsonObject { ["name"] = "absent", ["key"] = "id" },
                ["secretAccessKeyRef"] = new JsonObject { ["name"] = "absent", ["key"] = "secret" },
            },
        });
        await Eventually.UntilAsync(async () => (await _bed.GetProviderAsync("default", "no-secret"))?.Status?.Conditions?
            .Any(c => c.Reason == "SecretNotFound" && c.Message.Contains("absent", StringComparison.Ordinal)) == true, "SecretNotFound");
    }

    [Test]
    public async Task A_provider_in_another_namespace_is_refused_until_it_allows_the_namespace()
    {
        await _bed.CreateStaticProviderAsync("infra-operator-system", "shared");
        await _bed.WaitProviderReadyAsync("infra-operator-system", "shared");
        await _bed.Kube.CreateClusterAsync("development", "borrower", spec: s => s.ProviderRef = new ProviderReference { Name = "shared", Namespace = "infra-operator-system" });
        var refused = await _bed.WaitForClusterAsync("development", "borrower",
            c => c.Status?.Conditions?.Any(x => x.Type == ClusterConditions.ProviderNotReady && x.Reason == "ProviderNotAllowed") == true, "ProviderNotAllowed");
        refused.Status!.ClusterARN.Should().BeNull();
        (await _bed.DescribeAsync("borrower")).Should().BeNull("a refused provider makes no AWS call");

        await _bed.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"allowedNamespaces":["development"]}}""", V1Patch.PatchType.MergePatch),
            ApiGroup.Group, ApiGroup.Version, "infra-operator-system", AWSProvider.PluralName, "shared");
        await _bed.WaitReadyAsync("development", "borrower");
    }

    [Test]
    public async Task A_cluster_waiting_for_a_missing_provider_proceeds_once_it_exists()
    {
        await _bed.Kube.CreateClusterAsync("default", "early", provider: "late");
        await _bed.WaitForClusterAsync("default", "early",
            c => c.Status?.Conditions?.Any(x => x.Reason == "ProviderNotFound") == true, "ProviderNotFound");
        await _bed.CreateStaticProviderAsync("default", "late");
        await _bed.WaitReadyAsync("default", "early");
    }

    private async Task<string> StatusAndEventsTextAsync()
    {
        var events = await _bed.Client.CoreV1.ListEventForAllNamespacesAsync();
        foreach (var e in events.Items)
        {
            e.Metadata.ManagedFields = null; // the client's generated JSON cannot write FieldsV1
        }
        var clusters = await _bed.Client.CustomObjects.ListClusterCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, ECSCluster.PluralName);
        var providers = await _bed.Client.CustomObjects.ListClusterCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, AWSProvider.PluralName);
        return EcsOperatorModule.Json.Serialize(events) + EcsOperatorModule.Json.Serialize(clusters) + EcsOperatorModule.Json.Serialize(providers);
    }
}

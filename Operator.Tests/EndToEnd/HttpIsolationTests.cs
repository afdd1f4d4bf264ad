using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// The HTTP layer seen by a hostile tenant, against the running operator and servers that keep every byte they
/// receive: a control character in any credential field sends nothing and names the field; two tenants on one
/// endpoint host never share a connection under concurrent traffic; a redirect to a host outside the admin's policy
/// gets no byte; a 60 MB answer fails the call with <c>ResponseTooLarge</c> (what it costs in memory is a benchmark
/// figure, docs/benchmarks.md, never asserted here).
/// </summary>
[TestFixture]
public sealed class HttpIsolationTests
{
    private const string TenantAKey = "AKIDTENANTAONE";
    private const string TenantBKey = "AKIDTENANTBONE";
    private const long SixtyMegabytes = 60L * 1024 * 1024;

    private RecordingEndpoint _outside = null!;
    private RecordingEndpoint _sink = null!;
    private FakeAwsEndpoint _shared = null!;
    private FakeAwsEndpoint _stsRedirect = null!;
    private FakeAwsEndpoint _ecsRedirect = null!;
    private FakeAwsEndpoint _stsHuge = null!;
    private FakeAwsEndpoint _stsHugeChunked = null!;
    private FakeAwsEndpoint _ecsHuge = null!;
    private OperatorTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _outside = await RecordingEndpoint.StartAsync();
        _sink = await RecordingEndpoint.StartAsync();
        _shared = await FakeAwsEndpoint.StartAsync();
        _shared.Ecs = FakeAwsEndpoint.Reply.EcsClientError;
        _stsRedirect = await FakeAwsEndpoint.StartAsync();
        _stsRedirect.Sts = FakeAwsEndpoint.Reply.Redirect(307, _outside.Url);
        _ecsRedirect = await FakeAwsEndpoint.StartAsync();
        _ecsRedirect.Ecs = FakeAwsEndpoint.Reply.Redirect(307, new Uri(_outside.Url, "/latest/meta-data/"));
        _stsHuge = await FakeAwsEndpoint.StartAsync();
        _stsHuge.Sts = FakeAwsEndpoint.Reply.Large(SixtyMegabytes, declareLength: true) with { ContentType = "text/xml" };
        _stsHugeChunked = await FakeAwsEndpoint.StartAsync();
        _stsHugeChunked.Sts = FakeAwsEndpoint.Reply.Large(SixtyMegabytes, declareLength: false) with { ContentType = "text/xml" };
        _ecsHuge = await FakeAwsEndpoint.StartAsync();
        _ecsHuge.Ecs = FakeAwsEndpoint.Reply.Large(SixtyMegabytes, declareLength: false);
        // Every test endpoint is allowed except the redirect target.
        var allowed = new[] { _sink.Port, _shared.Port, _stsRedirect.Port, _ecsRedirect.Port, _stsHuge.Port, _stsHugeChunked.Port, _ecsHuge.Port }
            .Select(p => $"127.0.0.1:{p}");
        _bed = await OperatorTestBed.StartAsync(settings: new() { ["AllowedEndpoints"] = string.Join(',', allowed) });
        foreach (var ns in new[] { "tenant-a", "tenant-b" })
        {
            await _bed.Kube.EnsureNamespaceAsync(ns);
        }
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _bed.DisposeAsync();
        foreach (var endpoint in new[] { _shared, _stsRedirect, _ecsRedirect, _stsHuge, _stsHugeChunked, _ecsHuge })
        {
            await endpoint.DisposeAsync();
        }
        await _sink.DisposeAsync();
        await _outside.DisposeAsync();
    }

    [TearDown]
    public void NothingReachedTheHostOutsideThePolicy() =>
        _outside.Raw.BytesReceived.Should().Be(0, "no redirect is followed, so the host outside --allowed-endpoints gets nothing");

    [TestCase("access-key-id", "spec.accessKeyIDRef")]
    [TestCase("secret-access-key", "spec.secretAccessKeyRef")]
    [TestCase("session-token", "spec.sessionTokenRef")]
    public async Task A_control_character_in_a_credential_sends_nothing_and_the_condition_names_the_field(string key, string field)
    {
        var name = $"crlf-{key}";
        var values = new Dictionary<string, string>
        {
            ["access-key-id"] = "AKIDCRLFTEST", ["secret-access-key"] = "crlf-test-secret", ["session-token"] = "crlf-test-token",
        };
        values[key] = "CANARY\r\nContent-Length: 0\r\n\r\nPOST /smuggled HTTP/1.1\r\nX-Injected: yes";
        await _bed.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "tenant-a" },
            StringData = values,
        }, "tenant-a");
        await _bed.CreateAsync(Provider(name, _sink.Url, name), "tenant-a");

        var ready = await ProviderConditionAsync("tenant-a", name, ProviderCredentialsReasons.InvalidCredentials);

        ready.Message.Should().Contain(field).And.Contain($"\"{key}\"").And.Contain($"tenant-a/{name}").And.Contain("control character");
        _sink.Raw.BytesReceived.Should().Be(0, "a refused credential signs nothing and sends nothing");
        var events = await _bed.Client.CoreV1.ListNamespacedEventAsync("tenant-a", fieldSelector: $"involvedObject.name={name}");
        (_bed.Logs.All + EcsOperatorModule.Json.Serialize(events) + EcsOperatorModule.Json.Serialize(ready)).Should().NotContain("CANARY").And.NotContain("smuggled");
    }

    [Test]
    public async Task Two_tenants_on_one_endpoint_host_never_share_a_connection_under_concurrent_traffic()
    {
        foreach (var (ns, key) in new[] { ("tenant-a", TenantAKey), ("tenant-b", TenantBKey) })
        {
            await _bed.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = "shared-keys", NamespaceProperty = ns },
                StringData = new Dictionary<string, string> { ["id"] = key, ["secret"] = $"{ns}-secret", ["token"] = $"{ns}-session-token" },
            }, ns);
            var provider = Provider("shared", _shared.Endpoint, "shared-keys");
            provider["spec"]!["accessKeyIDRef"]!["key"] = "id";
            provider["spec"]!["secretAccessKeyRef"]!["key"] = "secret";
            provider["spec"]!["sessionTokenRef"]!["key"] = "token";
            await _bed.CreateAsync(provider, ns);
        }
        await _bed.WaitProviderReadyAsync("tenant-a", "shared");
        await _bed.WaitProviderReadyAsync("tenant-b", "shared");
        // ECS refuses every call at once, so both tenants' clusters retry with back-off, side by side.
        for (var i = 0; i < 3; i++)
        {
            await _bed.Kube.CreateClusterAsync("tenant-a", $"a-{i}", provider: "shared");
            await _bed.Kube.CreateClusterAsync("tenant-b", $"b-{i}", provider: "shared");
        }

        await Eventually.UntilAsync(() => Task.FromResult(Requests(TenantAKey) >= 15 && Requests(TenantBKey) >= 15),
            "both tenants' requests keep arriving", TimeSpan.FromSeconds(60));

        var connections = _shared.Raw.Connections;
        var mixed = connections.Where(c => c.Text.Contains(TenantAKey, StringComparison.Ordinal) && c.Text.Contains(TenantBKey, StringComparison.Ordinal));
        mixed.Should().BeEmpty("each connection carries one tenant's requests only");
        connections.Where(c => c.Text.Contains(TenantAKey, StringComparison.Ordinal)).Should().NotBeEmpty();
        connections.Where(c => c.Text.Contains(TenantBKey, StringComparison.Ordinal)).Should().NotBeEmpty();
        connections.Where(c => c.Text.Contains("tenant-a-session-token", StringComparison.Ordinal))
            .Should().OnlyContain(c => !c.Text.Contains("tenant-b-session-token", StringComparison.Ordinal), "no byte of one tenant's request is in the other's stream");
    }

    [Test]
    public async Task A_redirect_of_STS_to_a_host_outside_the_policy_fails_the_provider_and_sends_nothing_there()
    {
        using var checks = new ReconcileLog("redirected", AWSProvider.KindName);
        await CreateKeysAsync("tenant-b", "redirected");
        await _bed.CreateAsync(Provider("redirected", _stsRedirect.Endpoint, "redirected"), "tenant-b");

        var ready = await ProviderConditionAsync("tenant-b", "redirected", ProviderCredentialsReasons.RedirectRefused);

        ready.Message.Should().Contain("HTTP 307").And.Contain($"host 127.0.0.1:{_outside.Port}").And.Contain("GetCallerIdentity");
        // The provider's check is repeated with back-off (on a busy machine one may already have followed): what must
        // hold is one request per check, never a second one for the same check. A check still under way has sent its
        // request before it is counted, so this is waited for.
        await Eventually.UntilAsync(() => _stsRedirect.StsRequests <= checks.Count,
            () => $"{_stsRedirect.StsRequests} requests to the redirecting STS for {checks.Count} checks: a redirect is refused, not retried");
        _stsRedirect.StsRequests.Should().BeGreaterThan(0);
    }

    [Test]
    public async Task A_redirect_of_ECS_to_a_host_outside_the_policy_fails_the_cluster_and_sends_nothing_there()
    {
        await CreateKeysAsync("tenant-b", "ecs-redirected");
        await _bed.CreateAsync(Provider("ecs-redirected", _ecsRedirect.Endpoint, "ecs-redirected"), "tenant-b");
        await _bed.WaitProviderReadyAsync("tenant-b", "ecs-redirected");
        await _bed.Kube.CreateClusterAsync("tenant-b", "redirected-cluster", provider: "ecs-redirected");

        var synced = await ClusterConditionAsync("tenant-b", "redirected-cluster", ClusterConditions.Synced, ProviderCredentialsReasons.RedirectRefused);

        synced.Message.Should().Contain("HTTP 307").And.Contain($"host 127.0.0.1:{_outside.Port}");
    }

    [TestCase("sts-huge")]
    [TestCase("sts-huge-chunked")]
    public async Task A_60_MB_STS_answer_fails_the_provider_with_ResponseTooLarge(string name)
    {
        await CreateKeysAsync("tenant-b", name);
        await _bed.CreateAsync(Provider(name, (name == "sts-huge" ? _stsHuge : _stsHugeChunked).Endpoint, name), "tenant-b");

        var ready = await ProviderConditionAsync("tenant-b", name, ProviderCredentialsReasons.ResponseTooLarge);

        ready.Message.Should().Contain("--aws-max-response-bytes").And.Contain("4,194,304 bytes");
    }

    [Test]
    public async Task A_60_MB_ECS_answer_fails_the_cluster_with_ResponseTooLarge()
    {
        await CreateKeysAsync("tenant-b", "ecs-huge");
        await _bed.CreateAsync(Provider("ecs-huge", _ecsHuge.Endpoint, "ecs-huge"), "tenant-b");
        await _bed.WaitProviderReadyAsync("tenant-b", "ecs-huge");
        await _bed.Kube.CreateClusterAsync("tenant-b", "huge-cluster", provider: "ecs-huge");

        var synced = await ClusterConditionAsync("tenant-b", "huge-cluster", ClusterConditions.Synced, ProviderCredentialsReasons.ResponseTooLarge);

        synced.Message.Should().Contain("--aws-max-response-bytes");
    }

    private int Requests(string accessKey) =>
        _shared.Raw.Connections.Sum(c => Regex.Matches(c.Text, $"Credential={accessKey}/").Count);

    private Task CreateKeysAsync(string ns, string name) =>
        _bed.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
            StringData = new Dictionary<string, string> { ["access-key-id"] = "AKIDHTTPTEST", ["secret-access-key"] = "http-test-secret" },
        }, ns);

    private static JsonObject Provider(string name, Uri endpoint, string secret)
    {
        var spec = new JsonObject
        {
            ["region"] = "us-east-1",
            ["endpoint"] = endpoint.ToString(),
            ["accessKeyIDRef"] = new JsonObject { ["name"] = secret, ["key"] = "access-key-id" },
            ["secretAccessKeyRef"] = new JsonObject { ["name"] = secret, ["key"] = "secret-access-key" },
        };
        if (name.StartsWith("crlf-", StringComparison.Ordinal))
        {
            spec["sessionTokenRef"] = new JsonObject { ["name"] = secret, ["key"] = "session-token" };
        }
        else if (name == "shared")
        {
            spec["sessionTokenRef"] = new JsonObject { ["name"] = secret, ["key"] = "token" };
        }
        return new JsonObject
        {
            ["apiVersion"] = ApiGroup.ApiVersion, ["kind"] = AWSProvider.KindName,
            ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec,
        };
    }

    private async Task<V1Condition> ProviderConditionAsync(string ns, string name, string reason)
    {
        V1Condition? found = null;
        await Eventually.UntilAsync(async () => (found = (await _bed.GetProviderAsync(ns, name))?.Status?.Conditions?
            .FirstOrDefault(c => c is { Type: "Ready", Status: "False" } && c.Reason == reason)) is not null, $"{ns}/{name}: {reason}",
            TimeSpan.FromSeconds(60));
        return found!;
    }

    private async Task<V1Condition> ClusterConditionAsync(string ns, string name, string type, string reason)
    {
        var obj = await _bed.WaitForClusterAsync(ns, name, c => c.Status?.Conditions?.Any(x => x.Type == type && x.Reason == reason) == true,
            $"{type} {reason}");
        return obj.Status!.Conditions!.Single(x => x.Type == type);
    }
}

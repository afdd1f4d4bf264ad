using k8s.Autorest;
using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// A tenant who may write AWSProviders in their own namespace, against the running operator with a narrow admin
/// policy: Secret references cannot leave the namespace, and neither another namespace's Secret nor the operator's
/// own identity (a canary injected as its default chain) reaches an endpoint the admin did not allow. Two recording
/// endpoints stand in for servers of the tenant's choice; the AWS emulator records every request too.
/// </summary>
[TestFixture]
public sealed class TenantIsolationTests
{
    private const string TenantASecret = "Qv7-TENANT-A-SECRET-CANARY-5d21";
    private const string TenantAKeyId = "AKIDTENANTACANARY001";
    private const string OperatorKeyId = "AKIDOPERATORCANARY01";
    private const string OperatorSecret = "operator-canary-secret-77e0";
    private const string OperatorToken = "Operator-Canary-Session-Token-c4b9";
    private const string TenantBToken = "Tenant-B-Session-Token-CANARY-9a41";
    private const string TenantAShared = "AKIDTENANTASHARED001";

    private RecordingEndpoint _attacker = null!;
    private RecordingEndpoint _allowed = null!;
    private FakeAwsEndpoint _shared = null!;
    private OperatorTestBed _bed = null!;
    private int _badRefs;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _attacker = await RecordingEndpoint.StartAsync();
        _allowed = await RecordingEndpoint.StartAsync();
        // An endpoint both tenants may use (a shared LocalStack or VPC endpoint); it keeps every byte per connection.
        _shared = await FakeAwsEndpoint.StartAsync();
        _shared.Ecs = FakeAwsEndpoint.Reply.EcsClientError;
        _bed = await OperatorTestBed.StartAsync(awsOptions: new AwsEmulatorOptions { RecordRequests = true }, settings: new()
        {
            ["AllowedEndpoints"] = $"127.0.0.1:{_allowed.Port},127.0.0.1:{_shared.Port}",
            // tenant-b's own roles for tenant-b only; in every namespace, the roles under the path tenants/<namespace>/.
            ["AllowedRoleArns"] = $"tenant-b=arn:aws:iam::{OperatorTestBed.Account}:role/tenant-b-*,arn:aws:iam::{OperatorTestBed.Account}:role/tenants/{{namespace}}/*",
            ["DefaultCredentialsNamespaces"] = "trusted",
        }, services: s =>
        {
            s.AddSingleton<DefaultCredentialChain>(() => new SessionAWSCredentials(OperatorKeyId, OperatorSecret, OperatorToken));
            // No web identity token: roleARN is assumed with the default chain, i.e. with the operator's canary identity.
            s.AddSingleton(new AwsEnvironment(_ => null, _ => false));
        });
        _bed.Aws.Credentials.Add(OperatorKeyId, OperatorSecret, OperatorTestBed.Account, "operator", OperatorToken);
        _bed.Aws.Credentials.Add(TenantAKeyId, TenantASecret, OperatorTestBed.Account, "tenant-a");
        _bed.Aws.Credentials.Add("AKIDTENANTBOWNKEY001", "tenant-b-own-secret", OperatorTestBed.Account, "tenant-b");
        foreach (var ns in new[] { "tenant-a", "tenant-b", "trusted" })
        {
            await _bed.Kube.EnsureNamespaceAsync(ns);
        }

        await _bed.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "x", NamespaceProperty = "tenant-a" },
            StringData = new Dictionary<string, string> { ["id"] = TenantAKeyId, ["secret"] = TenantASecret },
        }, "tenant-a");
        await _bed.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "own", NamespaceProperty = "tenant-b" },
            StringData = new Dictionary<string, string> { ["id"] = "AKIDTENANTBOWNKEY001", ["secret"] = "tenant-b-own-secret" },
        }, "tenant-b");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _bed.DisposeAsync();
        await _attacker.DisposeAsync();
        await _allowed.DisposeAsync();
        await _shared.DisposeAsync();
    }

    [TearDown]
    public void NothingLeaked()
    {
        var tenantEndpoints = _attacker.All + _allowed.All;
        foreach (var canary in new[] { TenantASecret, TenantAKeyId, OperatorKeyId, OperatorSecret, OperatorToken, TenantBToken })
        {
            tenantEndpoints.Should().NotContain(canary, "no endpoint the admin did not allow for it receives another namespace's or the operator's credentials");
        }
        _shared.Raw.Connections.Where(c => c.Text.Contains(TenantBToken, StringComparison.Ordinal) && c.Text.Contains(TenantAShared, StringComparison.Ordinal))
            .Should().BeEmpty("tenant B's session token never travels on a connection that carries tenant A's requests");

        var aws = string.Join("\n", _bed.Aws.RecordedRequests);
        aws.Should().NotContain(TenantAKeyId, "no provider may use tenant-a's Secret").And.NotContain(TenantASecret);
    }

    [TestCase("../../tenant-a/secrets/x", "id")]
    [TestCase("..", "id")]
    [TestCase(".", "id")]
    [TestCase("a/b", "id")]
    [TestCase("%2e%2e", "id")]
    [TestCase("Upper", "id")]
    [TestCase("x", "a/b")]
    [TestCase("x", "..")]
    [TestCase("x", "..x")]
    [TestCase("x", "k:v")]
    public async Task A_secret_reference_that_is_not_a_plain_name_is_refused_at_admission(string name, string key)
    {
        var act = () => _bed.CreateAsync(StaticProvider($"bad-ref-{Interlocked.Increment(ref _badRefs)}", name, key), "tenant-b");

        var e = (await act.Should().ThrowAsync<HttpOperationException>()).Which;
        e.Response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        e.Response.Content.Should().Contain("spec.accessKeyIDRef");
    }

    // The old CRD stays installed while the operator works on the object, as when the operator was upgraded but the
    // CRD not (Helm never upgrades CRDs): the API server would refuse the status patch of an object that fails the
    // current schema unless it ratchets unchanged fields.
    [TestCase("old-traversal", "../../tenant-a/secrets/x", "id", "spec.accessKeyIDRef.name")]
    [TestCase("old-dotdot", "..", "id", "spec.accessKeyIDRef.name")]
    [TestCase("old-key", "x", "..", "spec.accessKeyIDRef.key")]
    public async Task A_provider_that_predates_the_rule_gets_InvalidSpec_and_no_secret_is_read(string provider, string name, string key, string field)
    {
        RegisterCrdWithoutReferencePatterns();
        try
        {
            await _bed.CreateAsync(StaticProvider(provider, name, key), "tenant-b");
            await RefusedAsync("tenant-b", provider, ProviderCredentialsReasons.InvalidSpec, field);
        }
        finally
        {
            await _bed.Kube.Emulator.RegisterCrdsFromDirectoryAsync(RepositoryLayout.CrdDirectory);
        }

        _bed.Kube.Emulator.Requests.Entries
            .Where(r => r.Method == "GET" && r.Name.Length > 0 && r.Path.StartsWith("/api/v1/namespaces", StringComparison.Ordinal)
                && (r.Resource == "namespaces" || (r.Resource == "secrets" && (r.Namespace == "tenant-a" || r.Name == "x")) || r.Path.Contains("..", StringComparison.Ordinal)))
            .Select(r => r.Path).Should().BeEmpty("the operator reads no Secret (and no Namespace) for a malformed reference");
    }

    [Test]
    public async Task A_custom_endpoint_outside_the_policy_gets_no_request_whatever_the_credentials()
    {
        var since = DateTimeOffset.UtcNow;
        await _bed.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "for-attacker", NamespaceProperty = "tenant-b" },
            StringData = new Dictionary<string, string> { ["id"] = "AKIDTENANTBOTHER001", ["secret"] = "tenant-b-other-secret" },
        }, "tenant-b");
        await _bed.CreateAsync(StaticProvider("to-attacker", "for-attacker", "id", _attacker.Url.ToString()), "tenant-b");
        await _bed.CreateAsync(Provider("role-to-attacker", new JsonObject
        {
            ["roleARN"] = $"arn:aws:iam::{OperatorTestBed.Account}:role/tenant-b-deployer", ["endpoint"] = _attacker.Url.ToString(),
        }), "tenant-b");
        await _bed.CreateAsync(Provider("default-to-attacker", new JsonObject { ["endpoint"] = _attacker.Url.ToString() }), "trusted");
        await _bed.CreateAsync(Provider("metadata", new JsonObject { ["endpoint"] = "http://169.254.169.254/" }), "trusted");

        foreach (var (ns, name) in new[] { ("tenant-b", "to-attacker"), ("tenant-b", "role-to-attacker"), ("trusted", "default-to-attacker"), ("trusted", "metadata") })
        {
            var condition = await RefusedAsync(ns, name, ProviderCredentialsReasons.EndpointNotAllowed);
            condition.Message.Should().Contain("spec.endpoint").And.Contain("--allowed-endpoints");
        }

        condition_mentions_the_host(await RefusedAsync("tenant-b", "to-attacker", ProviderCredentialsReasons.EndpointNotAllowed));
        _attacker.Requests.Should().BeEmpty("a refused endpoint is never called");
        _bed.Kube.Emulator.Requests.Entries.Where(r => r.Time >= since && r.Method == "GET" && r.Resource == "secrets" && r.Name == "for-attacker")
            .Should().BeEmpty("the policy is checked before any Secret is read");

        void condition_mentions_the_host(V1Condition c) => c.Message.Should().Contain($"127.0.0.1:{_attacker.Port}");
    }

    // Ordered before the test of allowed cases, whose providers legitimately sign with the operator's identity.
    [Test]
    [Order(1)]
    public async Task A_role_outside_the_policy_is_never_assumed_with_the_operators_identity()
    {
        var since = DateTimeOffset.UtcNow;
        await _bed.CreateAsync(Provider("foreign-role", new JsonObject { ["roleARN"] = "arn:aws:iam::999999999999:role/admin" }), "tenant-b");
        await _bed.CreateAsync(Provider("foreign-assume", new JsonObject { ["assumeRoleARN"] = $"arn:aws:iam::{OperatorTestBed.Account}:role/operator-admin" }), "trusted");

        (await RefusedAsync("tenant-b", "foreign-role", ProviderCredentialsReasons.RoleNotAllowed)).Message
            .Should().Contain("spec.roleARN").And.Contain("arn:aws:iam::999999999999:role/admin").And.Contain("--allowed-role-arns");
        (await RefusedAsync("trusted", "foreign-assume", ProviderCredentialsReasons.RoleNotAllowed)).Message
            .Should().Contain("spec.assumeRoleARN");
        string.Join("\n", _bed.Aws.RecordedRequests).Should().NotContain("999999999999").And.NotContain("operator-admin",
            "a refused role makes no AWS call at all");
        OperatorCallsSince(since).Should().BeEmpty("nothing else is signed with the operator's identity meanwhile");
    }

    [Test]
    [Order(2)]
    public async Task The_operators_default_chain_is_refused_outside_the_listed_namespaces()
    {
        var since = DateTimeOffset.UtcNow;
        await _bed.CreateAsync(Provider("borrows-identity", new JsonObject()), "tenant-b");

        (await RefusedAsync("tenant-b", "borrows-identity", ProviderCredentialsReasons.DefaultCredentialsNotAllowed)).Message
            .Should().Contain("tenant-b").And.Contain("--default-credentials-namespaces");
        OperatorCallsSince(since).Should().BeEmpty("a refused provider makes no AWS call at all");
    }

    [Test]
    public async Task What_the_policy_allows_still_works()
    {
        await _bed.CreateAsync(Provider("operator-identity", new JsonObject()), "trusted");
        await _bed.CreateAsync(Provider("allowed-role", new JsonObject { ["roleARN"] = $"arn:aws:iam::{OperatorTestBed.Account}:role/tenant-b-deployer" }), "tenant-b");
        await _bed.CreateAsync(StaticProvider("own-keys", "own", "id"), "tenant-b");
        await _bed.CreateAsync(StaticProvider("own-endpoint", "own", "id", _allowed.Url.ToString()), "tenant-b");

        await _bed.WaitProviderReadyAsync("trusted", "operator-identity");
        await _bed.WaitProviderReadyAsync("tenant-b", "allowed-role");
        await _bed.WaitProviderReadyAsync("tenant-b", "own-keys");
        await Eventually.UntilAsync(() => Task.FromResult(_allowed.All.Contains("AKIDTENANTBOWNKEY001", StringComparison.Ordinal)),
            "the allowed endpoint receives the tenant's own requests");
        _bed.Aws.Calls.Snapshot().Should().Contain(c => c.Operation == "AssumeRole" && c.AccessKeyId == OperatorKeyId,
            "an allowed role is assumed with the operator's identity");
    }

    [Test]
    public async Task The_role_policy_is_per_namespace()
    {
        var since = _bed.Aws.RecordedRequests.Count;
        var account = OperatorTestBed.Account;
        await _bed.CreateAsync(Provider("other-tenants-role", new JsonObject { ["roleARN"] = $"arn:aws:iam::{account}:role/tenant-b-deployer" }), "tenant-a");
        await _bed.CreateAsync(Provider("other-tenants-path", new JsonObject { ["roleARN"] = $"arn:aws:iam::{account}:role/tenants/tenant-b/deployer" }), "tenant-a");
        await _bed.CreateAsync(Provider("other-partition", new JsonObject { ["roleARN"] = $"arn:aws-cn:iam::{account}:role/tenants/tenant-a/deployer" }), "tenant-a");
        await _bed.CreateAsync(Provider("own-path", new JsonObject { ["roleARN"] = $"arn:aws:iam::{account}:role/tenants/tenant-a/deployer" }), "tenant-a");

        foreach (var name in new[] { "other-tenants-role", "other-tenants-path", "other-partition" })
        {
            (await RefusedAsync("tenant-a", name, ProviderCredentialsReasons.RoleNotAllowed)).Message
                .Should().Contain("namespace tenant-a").And.Contain("tenant-a=<role ARN pattern>");
        }
        await _bed.WaitProviderReadyAsync("tenant-a", "own-path");
        var assumed = _bed.Aws.RecordedRequests.Skip(since).Where(r => r.Contains("Action=AssumeRole", StringComparison.Ordinal)).ToList();
        assumed.Should().NotBeEmpty().And.OnlyContain(r => r.Contains("tenants%2Ftenant-a%2Fdeployer", StringComparison.Ordinal) && !r.Contains("aws-cn", StringComparison.Ordinal),
            "only the namespace's own role is assumed with the operator's identity");
    }

    /// <summary>
    /// Tenant A tries to smuggle a request through a session token with line breaks, on an endpoint tenant B uses too:
    /// before, the shared connection pool carried B's next request (B's token and key) as the body of A's smuggled one.
    /// </summary>
    [Test]
    public async Task A_session_token_of_one_tenant_never_reaches_another_tenants_requests()
    {
        const string smuggling = "tok\r\nContent-Length: 0\r\n\r\nPOST /smuggled HTTP/1.1\r\nHost: x\r\nContent-Length: 1400\r\n\r\nX";
        await SecretAsync("tenant-b", "b-session", "AKIDTENANTBSESSION01", "tenant-b-session-secret", TenantBToken);
        await SecretAsync("tenant-a", "a-smuggle", "AKIDTENANTASMUGGLE01", "tenant-a-smuggle-secret", smuggling);
        await SecretAsync("tenant-a", "a-shared", TenantAShared, "tenant-a-shared-secret", "tenant-a-own-session-token");
        await _bed.CreateAsync(SessionProvider("b-shared", "b-session"), "tenant-b");
        await _bed.CreateAsync(SessionProvider("a-smuggler", "a-smuggle"), "tenant-a");
        await _bed.CreateAsync(SessionProvider("a-shared", "a-shared"), "tenant-a");

        await _bed.WaitProviderReadyAsync("tenant-b", "b-shared");
        await _bed.WaitProviderReadyAsync("tenant-a", "a-shared");
        // Both tenants' clusters retry ECS's refusals side by side on the shared endpoint.
        await _bed.Kube.CreateClusterAsync("tenant-b", "b-cluster", provider: "b-shared");
        await _bed.Kube.CreateClusterAsync("tenant-a", "a-cluster", provider: "a-shared");
        await Eventually.UntilAsync(() => Task.FromResult(Count(TenantBToken) >= 10 && Count(TenantAShared) >= 10), "both tenants' traffic on the shared endpoint");

        _shared.Raw.Connections.Where(c => c.Text.Contains(TenantBToken, StringComparison.Ordinal) && c.Text.Contains(TenantAShared, StringComparison.Ordinal))
            .Should().BeEmpty("tenant B's session token never travels on a connection that carries tenant A's requests");
        var raw = string.Join("\n", _shared.Raw.Connections.Select(c => c.Text));
        raw.Should().NotContain("/smuggled").And.NotContain("AKIDTENANTASMUGGLE01", "the smuggling credentials sign nothing and send nothing");
        (await RefusedAsync("tenant-a", "a-smuggler", ProviderCredentialsReasons.InvalidCredentials)).Message
            .Should().Contain("spec.sessionTokenRef").And.Contain("tenant-a/a-smuggle").And.NotContain("smuggled");
        var tenantAView = EcsOperatorModule.Json.Serialize(await _bed.Client.CoreV1.ListNamespacedEventAsync("tenant-a"))
            + EcsOperatorModule.Json.Serialize(await _bed.Client.CustomObjects.ListNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, "tenant-a", AWSProvider.PluralName))
            + EcsOperatorModule.Json.Serialize(await _bed.Client.CustomObjects.ListNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, "tenant-a", ECSCluster.PluralName));
        (tenantAView + _bed.Logs.All).Should().NotContain(TenantBToken).And.NotContain("tenant-b-session-secret");

        int Count(string marker) => _shared.Raw.Connections.Sum(c => c.Text.Split(marker).Length - 1);
    }

    [Test]
    public async Task A_forbidden_secret_gives_SecretForbidden_not_a_silent_retry()
    {
        _bed.Kube.Emulator.Faults.FailRequests(403, pathPrefix: "/api/v1/namespaces/tenant-b/secrets/locked", verb: "get");
        await _bed.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "locked", NamespaceProperty = "tenant-b" },
            StringData = new Dictionary<string, string> { ["id"] = "a", ["secret"] = "b" },
        }, "tenant-b");
        await _bed.CreateAsync(StaticProvider("forbidden", "locked", "id"), "tenant-b");

        (await RefusedAsync("tenant-b", "forbidden", ProviderCredentialsReasons.SecretForbidden)).Message
            .Should().Contain("tenant-b/locked").And.Contain("RBAC");
    }

    private async Task<V1Condition> RefusedAsync(string ns, string name, string reason, string inMessage = "")
    {
        V1Condition? found = null;
        await Eventually.UntilAsync(async () => (found = (await _bed.GetProviderAsync(ns, name))?.Status?.Conditions?
            .FirstOrDefault(c => c is { Type: "Ready", Status: "False" } && c.Reason == reason && c.Message.Contains(inMessage, StringComparison.Ordinal))) is not null,
            $"{ns}/{name}: {reason} {inMessage}");
        return found!;
    }

    private List<AwsEmulatorCall> OperatorCallsSince(DateTimeOffset since) =>
        [.. _bed.Aws.Calls.Snapshot().Where(c => c.At >= since && c.AccessKeyId == OperatorKeyId)];

    private static JsonObject Provider(string name, JsonObject spec)
    {
        spec["region"] = "us-east-1";
        return new JsonObject
        {
            ["apiVersion"] = ApiGroup.ApiVersion, ["kind"] = AWSProvider.KindName,
            ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec,
        };
    }

    private Task SecretAsync(string ns, string name, string id, string secret, string token) =>
        _bed.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
            StringData = new Dictionary<string, string> { ["id"] = id, ["secret"] = secret, ["token"] = token },
        }, ns);

    private JsonObject SessionProvider(string name, string secret)
    {
        var provider = StaticProvider(name, secret, "id", _shared.Endpoint.ToString());
        provider["spec"]!["sessionTokenRef"] = new JsonObject { ["name"] = secret, ["key"] = "token" };
        return provider;
    }

    private static JsonObject StaticProvider(string name, string secret, string key, string? endpoint = null)
    {
        var spec = new JsonObject
        {
            ["accessKeyIDRef"] = new JsonObject { ["name"] = secret, ["key"] = key },
            ["secretAccessKeyRef"] = new JsonObject { ["name"] = secret, ["key"] = key == "id" ? "secret" : key },
        };
        if (endpoint is not null)
        {
            spec["endpoint"] = endpoint;
        }

        return Provider(name, spec);
    }

    // The AWSProvider CRD as it was before names and keys were constrained, so an object of that time can exist.
    private void RegisterCrdWithoutReferencePatterns()
    {
        var path = Directory.EnumerateFiles(RepositoryLayout.CrdDirectory, "awsproviders*.yaml").Single();
        var crd = YamlJson.ParseAll(File.ReadAllText(path)).Single()!.AsObject();
        var spec = crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!["properties"]!;
        foreach (var reference in new[] { "accessKeyIDRef", "secretAccessKeyRef", "sessionTokenRef" })
        {
            foreach (var field in new[] { "name", "key" })
            {
                spec[reference]!["properties"]![field]!.AsObject().Remove("pattern").Should().BeTrue();
            }
        }

        _bed.Kube.Emulator.RegisterCrd(crd);
    }
}

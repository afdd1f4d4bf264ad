using Operator.Testing.Kubernetes;

namespace Operator.Tests.Kubernetes;

/// <summary>
/// The real kubectl binary against the emulator, run as a user would: only --kubeconfig, no extra flags. Proves
/// discovery, OpenAPI (for apply's default validation), Table printing, apply/patch/describe/wait/get -w/delete.
/// </summary>
[TestFixture]
public sealed class KubectlTests
{
    private const string Group = "aws-infra-operator.runner.codes";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private KubeApiEmulator _emulator = null!;
    private IKubernetes _client = null!;
    private string _home = null!;
    private string _kubeconfig = null!;

    [SetUp]
    public async Task SetUpAsync()
    {
        if (!File.Exists(KubectlProcess.Binary) && KubectlProcess.Binary.StartsWith('/'))
        {
            Assert.Ignore("kubectl is not installed");
        }

        _home = Path.Combine(Path.GetTempPath(), "kubectl-emulator-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_home);
        _kubeconfig = Path.Combine(_home, "kubeconfig");
        _emulator = await KubeApiEmulator.StartAsync(new KubeApiEmulatorOptions
        {
            CrdDirectory = Path.Combine(RepoPaths.Root, "manifests", "crds"),
            KubeconfigPath = _kubeconfig,
        });
        _client = _emulator.CreateClient(EcsOperatorModule.Json);
    }

    [TearDown]
    public async Task TearDownAsync()
    {
        _client?.Dispose();
        if (_emulator is not null)
        {
            await _emulator.DisposeAsync();
        }

        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder.
        }
    }

    private async Task<string> Kubectl(params string[] args)
    {
        using var p = KubectlProcess.Start(_kubeconfig, _home, args);
        await p.WaitForExitAsync(CommandTimeout);
        p.ExitCode.Should().Be(0, $"kubectl {string.Join(' ', args)} failed: {p.Stderr}");
        return p.Stdout;
    }

    private Task PatchStatusAsync(string ns, string name, string json) =>
        _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(json, V1Patch.PatchType.MergePatch), Group, "v1alpha1", ns, "ecsclusters", name);

    [Test]
    public async Task Kubectl_drives_the_user_guide_samples_end_to_end()
    {
        (await Kubectl("create", "namespace", "development")).Should().Contain("namespace/development created");
        (await Kubectl("create", "namespace", "production")).Should().Contain("namespace/production created");
        (await Kubectl("create", "namespace", "my-app-namespace")).Should().Contain("created");

        var samples = Directory.GetFiles(Path.Combine(RepoPaths.Root, "manifests", "samples"), "*.yaml").Order(StringComparer.Ordinal).ToList();
        samples.Should().NotBeEmpty();
        foreach (var sample in samples)
        {
            (await Kubectl("apply", "-f", sample)).Should().Contain(" created", sample);
        }

        (await Kubectl("apply", "-f", Path.Combine(RepoPaths.Root, "manifests", "samples", "ecscluster-dev.yaml"))).Should().Contain("unchanged");

        // Printer columns from the CRD, all namespaces.
        await PatchStatusAsync("development", "dev-cluster", """{"status":{"status":"ACTIVE","phase":"ACTIVE","ready":true,"runningTasksCount":3,"activeServicesCount":1,"clusterARN":"arn:aws:ecs:us-east-1:000000000000:cluster/development","conditions":[{"type":"Ready","status":"True","reason":"Active","message":"cluster is ACTIVE","lastTransitionTime":"2026-01-01T00:00:00Z"},{"type":"Synced","status":"False","reason":"UpdateInProgress","message":"ECS is still applying the last update","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}""");
        var table = await Kubectl("get", "ecscluster", "-A");
        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().MatchRegex("^NAMESPACE +NAME +CLUSTER NAME +STATUS +READY +SYNCED +RUNNING TASKS +ACTIVE SERVICES +AGE$");
        lines.Should().Contain(l => l.StartsWith("development") && System.Text.RegularExpressions.Regex.IsMatch(l, @"dev-cluster +development +ACTIVE +True +False +3 +1 +\S+$"));
        lines.Should().Contain(l => l.StartsWith("production") && l.Contains("serverless-cluster"));
        var wide = (await Kubectl("get", "ecscluster", "dev-cluster", "-n", "development", "-o", "wide")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        wide[0].Should().MatchRegex("^NAME +CLUSTER NAME +STATUS +READY +SYNCED +RUNNING TASKS +ACTIVE SERVICES +AGE +REASON +MESSAGE$");
        wide[1].Should().MatchRegex("UpdateInProgress +ECS is still applying the last update$");
        (await Kubectl("get", "ecsc", "-n", "development")).Should().Contain("dev-cluster");
        await _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("""{"status":{"accountID":"000000000000","conditions":[{"type":"Ready","status":"False","reason":"SecretNotFound","message":"Secret aws-credentials not found","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}""", V1Patch.PatchType.MergePatch),
            Group, "v1alpha1", "development", "awsproviders", "dev-aws");
        var providers = (await Kubectl("get", "awsproviders", "-n", "development")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        providers[0].Should().MatchRegex("^NAME +REGION +READY +ACCOUNT +REASON +STATUS +AGE$");
        providers.Should().Contain(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^dev-aws +us-east-1 +False +000000000000 +SecretNotFound +\S+$"));

        (await Kubectl("get", "ecscluster", "dev-cluster", "-n", "development", "-o", "jsonpath={.status.clusterARN}")).TrimEnd()
            .Should().Be("arn:aws:ecs:us-east-1:000000000000:cluster/development");
        var yaml = await Kubectl("get", "ecscluster", "dev-cluster", "-n", "development", "-o", "yaml");
        yaml.Should().Contain("kind: ECSCluster").And.Contain("clusterName: development").And.Contain("kubectl.kubernetes.io/last-applied-configuration");
        (await Kubectl("get", "secret", "aws-credentials", "-o", "jsonpath={.data.access-key-id}")).TrimEnd().Should().Be("dGVzdA==");

        // Merge patch: spec change bumps generation.
        (await Kubectl("patch", "ecscluster", "dev-cluster", "-n", "development", "--type=merge", "-p", """{"spec":{"tags":{"Debug":"disabled"}}}"""))
            .Should().Contain("patched");
        var patched = JsonNode.Parse(((System.Text.Json.JsonElement)await _client.CustomObjects.GetNamespacedCustomObjectAsync(Group, "v1alpha1", "development", "ecsclusters", "dev-cluster")).GetRawText())!;
        patched["spec"]!["tags"]!["Debug"]!.GetValue<string>().Should().Be("disabled");
        patched["metadata"]!["generation"]!.GetValue<long>().Should().Be(2);

        // describe lists the object's events (found by involvedObject field selector).
        await _client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = "dev-cluster.created" },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = $"{Group}/v1alpha1", Kind = "ECSCluster", Name = "dev-cluster", NamespaceProperty = "development",
                Uid = patched["metadata"]!["uid"]!.GetValue<string>(),
            },
            Reason = "ClusterCreated",
            Message = "Created ECS cluster development",
            Type = "Normal",
            Count = 1,
            FirstTimestamp = DateTime.UtcNow,
            LastTimestamp = DateTime.UtcNow,
            Source = new V1EventSource { Component = "ecs-operator" },
        }, "development");
        var describe = await Kubectl("describe", "ecscluster", "dev-cluster", "-n", "development");
        describe.Should().Contain("Name:         dev-cluster").And.Contain("ClusterCreated").And.Contain("Created ECS cluster development");
        (await Kubectl("get", "events", "-n", "development")).Should().MatchRegex("LAST SEEN +TYPE +REASON +OBJECT +MESSAGE")
            .And.Contain("ecscluster/dev-cluster");

        // wait --for=condition=Ready watches until the condition appears.
        using (var wait = KubectlProcess.Start(_kubeconfig, _home, ["wait", "--for=condition=Ready", "ecscluster/fargate-cluster", "--timeout=50s"]))
        {
            await WaitForWatchAsync();
            await PatchStatusAsync("default", "fargate-cluster", """{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Active","message":"cluster is ACTIVE","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}""");
            await wait.WaitForExitAsync(CommandTimeout);
            wait.ExitCode.Should().Be(0, wait.Stderr);
            wait.Stdout.Should().Contain("condition met");
        }

        // get -w prints the initial row, then a row per change.
        using (var watch = KubectlProcess.Start(_kubeconfig, _home, ["get", "ecscluster", "hybrid-cluster", "-w"]))
        {
            await watch.WaitForLineAsync("hybrid-cluster", CommandTimeout);
            await WaitForWatchAsync();
            await PatchStatusAsync("default", "hybrid-cluster", """{"status":{"status":"PROVISIONING","phase":"PROVISIONING"}}""");
            (await watch.WaitForLineAsync("PROVISIONING", CommandTimeout)).Should().Contain("hybrid-cluster");
        }

        // delete waits for the object to disappear.
        (await Kubectl("delete", "ecscluster", "audit-cluster")).Should().Contain("deleted");
        (await Kubectl("get", "ecscluster", "-o", "name")).Should().NotContain("audit-cluster");
        (await Kubectl("delete", "-f", Path.Combine(RepoPaths.Root, "manifests", "samples", "ecscluster-dev.yaml"))).Should().Contain("deleted");
        (await Kubectl("apply", "--server-side", "-f", Path.Combine(RepoPaths.Root, "manifests", "samples", "ecscluster-audit.yaml")))
            .Should().Contain("serverside-applied");
        (await Kubectl("get", "ecscluster", "audit-cluster", "-o", "name")).Should().Contain("audit-cluster");
        (await Kubectl("delete", "namespace", "production")).Should().Contain("deleted");
        (await Kubectl("get", "namespaces", "-o", "name")).Should().NotContain("namespace/production");
    }

    [Test]
    public async Task Kubectl_reports_server_errors_like_a_real_cluster()
    {
        using var missing = KubectlProcess.Start(_kubeconfig, _home, ["get", "ecscluster", "nope"]);
        await missing.WaitForExitAsync(CommandTimeout);

        missing.ExitCode.Should().NotBe(0);
        missing.Stderr.Should().Contain($"Error from server (NotFound): ecsclusters.{Group} \"nope\" not found");
    }

    private Task WaitForWatchAsync() => Eventually.UntilAsync(() => _emulator.OpenWatchCount > 0, "kubectl's watch", CommandTimeout);

    private async Task<KubectlProcess> KubectlRaw(string? stdin, params string[] args)
    {
        var p = KubectlProcess.Start(_kubeconfig, _home, args, stdin);
        await p.WaitForExitAsync(CommandTimeout);
        return p;
    }

    private const string TypoCluster = """
        apiVersion: aws-infra-operator.runner.codes/v1alpha1
        kind: ECSCluster
        metadata:
          name: typo
          namespace: default
        spec:
          providerRef:
            name: production-aws
          clusterName: typo
          deletionpolicy: Retain
        """;

    [Test]
    public async Task Kubectl_default_strict_validation_refuses_an_unknown_field_naming_it()
    {
        using var strict = await KubectlRaw(TypoCluster, "apply", "-f", "-");

        strict.ExitCode.Should().NotBe(0);
        strict.Stderr.Should().Contain("Error from server (BadRequest)")
            .And.Contain("ECSCluster in version \"v1alpha1\" cannot be handled as a ECSCluster: strict decoding error: unknown field \"spec.deletionpolicy\"");
        (await _client.CustomObjects.ListNamespacedCustomObjectAsync(Group, "v1alpha1", "default", "ecsclusters")).ToString()
            .Should().NotContain("typo");

        // Warn: stored without the unknown field, and kubectl prints the server's warning.
        using var warn = await KubectlRaw(TypoCluster, "apply", "--validate=warn", "-f", "-");
        warn.ExitCode.Should().Be(0, warn.Stderr);
        warn.Stderr.Should().Contain("Warning: unknown field \"spec.deletionpolicy\"");
        var stored = await Kubectl("get", "ecscluster", "typo", "-o", "jsonpath={.spec}");
        stored.Should().NotContain("deletionpolicy").And.Contain("\"deletionPolicy\":\"Delete\"");

        // Ignore: pruned silently.
        using var ignore = await KubectlRaw(TypoCluster.Replace("name: typo\n  namespace", "name: typo2\n  namespace", StringComparison.Ordinal), "create", "--validate=false", "-f", "-");
        ignore.ExitCode.Should().Be(0, ignore.Stderr);
        ignore.Stderr.Should().NotContain("unknown field");
    }

    [Test]
    public async Task A_duplicate_field_is_refused_under_strict_validation()
    {
        var body = """{"apiVersion":"aws-infra-operator.runner.codes/v1alpha1","kind":"ECSCluster","metadata":{"name":"dup"},"spec":{"providerRef":{"name":"p"},"clusterName":"a","clusterName":"b"}}""";
        using var http = new HttpClient { BaseAddress = _emulator.BaseAddress };
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var response = await http.PostAsync($"/apis/{Group}/v1alpha1/namespaces/default/ecsclusters?fieldValidation=Strict", content);

        ((int)response.StatusCode).Should().Be(400);
        System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!["message"]!.GetValue<string>()
            .Should().Be("ECSCluster in version \"v1alpha1\" cannot be handled as a ECSCluster: strict decoding error: duplicate field \"spec.clusterName\"");
    }

    [Test]
    public async Task Kubectl_explain_prints_the_CRDs_field_descriptions()
    {
        var explain = await Kubectl("explain", "ecscluster.spec.clusterName");

        explain.Should().Contain("KIND:       ECSCluster").And.Contain("FIELD: clusterName <string>");
        var crd = File.ReadAllText(Path.Combine(RepoPaths.Root, "manifests", "crds", "ecsclusters.aws-infra-operator.runner.codes.yaml"));
        var description = System.Text.RegularExpressions.Regex.Match(crd, @"clusterName:\s+type: string\s+description: (.+)").Groups[1].Value;
        description.Should().NotBeEmpty();
        string.Join(' ', explain.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries))
            .Should().Contain(string.Join(' ', description.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Trim());
        (await Kubectl("explain", "awsprovider.spec")).Should().Contain("region").And.Contain("How to authenticate to AWS.");
    }

    [Test]
    public async Task Kubectl_prints_a_validation_error_with_its_field_path_once()
    {
        using var p = await KubectlRaw(null, "apply", "-f", Path.Combine(RepoPaths.Root, "manifests", "samples", "invalid", "awsprovider-region-missing.yaml"));

        p.ExitCode.Should().NotBe(0);
        p.Stderr.Should().Contain("spec.region: Required value").And.NotContain("spec.region: spec.region");
    }
}

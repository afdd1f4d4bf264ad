using Microsoft.Extensions.Configuration;
using Operator.Tests.Api;

namespace Operator.Tests.Deploy;

/// <summary>
/// Each environment overlay builds with <c>kubectl kustomize</c> and holds what the user guide and an SRE rely on:
/// the guide's names (namespace, ServiceAccount, pod label), the restricted pod security standard on every
/// container, probes and metrics on the operator's ports, flags the operator understands, and each overlay's own
/// choices (replicas, leader election, image, IRSA, PDB and spreading, the dev LocalStack provider).
/// </summary>
[TestFixture]
public sealed partial class OverlayTests
{
    public static IEnumerable<string> Environments() => ["dev", "staging", "production"];

    private static Task<IReadOnlyList<JsonObject>> Build(string env) => Kustomize.BuildAsync(Kustomize.Overlay(env));

    private static async Task<(IReadOnlyList<JsonObject> Objects, JsonObject Deployment, JsonObject Manager, IReadOnlyList<string> Args)> Operator(string env)
    {
        var objects = await Build(env);
        var deployment = Manifest.OperatorDeploymentOf(objects);
        var manager = deployment.PodSpec().AllContainers().Should().ContainSingle("the pod runs the operator alone").Which;
        return (objects, deployment, manager, Manifest.Strings(manager["args"]));
    }

    [TestCaseSource(nameof(Environments))]
    public async Task The_overlay_builds_with_the_CRDs_first_and_the_guides_names(string env)
    {
        var (objects, deployment, _, _) = await Operator(env);

        objects.Take(3).Select(o => o.Kind()).Should().Equal("Namespace", "CustomResourceDefinition", "CustomResourceDefinition");
        objects.OfKind("CustomResourceDefinition").Select(o => o.Name()).Should().BeEquivalentTo(
            "awsproviders.aws-infra-operator.runner.codes", "ecsclusters.aws-infra-operator.runner.codes");
        var ns = objects.Single("Namespace", Manifest.OperatorNamespace);
        Manifest.StringMap(ns["metadata"]!["labels"]).Should().Contain("pod-security.kubernetes.io/enforce", "restricted");
        objects.Single("ServiceAccount", Manifest.OperatorServiceAccount, Manifest.OperatorNamespace);
        deployment.PodSpec()["serviceAccountName"]!.GetValue<string>().Should().Be(Manifest.OperatorServiceAccount,
            "the guide's IRSA trust policy names system:serviceaccount:infra-operator-system:infra-operator-controller-manager");
        deployment.PodSpec()["automountServiceAccountToken"]?.GetValue<bool>().Should().NotBe(false, "the operator talks to the API server");
    }

    [TestCaseSource(nameof(Environments))]
    public async Task Kubectl_logs_by_the_guides_label_selects_exactly_the_operator_pods(string env)
    {
        var (objects, deployment, _, _) = await Operator(env);
        var podLabels = Manifest.StringMap(deployment["spec"]!["template"]!["metadata"]!["labels"]);
        var selector = Manifest.StringMap(deployment["spec"]!["selector"]!["matchLabels"]);

        podLabels.Should().Contain("control-plane", "controller-manager");
        selector.Should().Contain("control-plane", "controller-manager");
        selector.Should().BeSubsetOf(podLabels);
        objects.Where(o => o.Kind() is "Deployment" or "StatefulSet" or "DaemonSet" or "Job" or "Pod")
            .Should().ContainSingle("`kubectl logs -l control-plane=controller-manager` must find only the operator");
    }

    [TestCaseSource(nameof(Environments))]
    public async Task Every_container_meets_the_restricted_pod_security_standard(string env)
    {
        var (_, deployment, _, _) = await Operator(env);
        var pod = deployment.PodSpec();
        var podSecurity = pod["securityContext"]!;

        podSecurity["runAsNonRoot"]!.GetValue<bool>().Should().BeTrue();
        podSecurity["runAsUser"]!.GetValue<long>().Should().BePositive();
        podSecurity["runAsGroup"]!.GetValue<long>().Should().BePositive();
        podSecurity["seccompProfile"]!["type"]!.GetValue<string>().Should().Be("RuntimeDefault");
        pod["hostNetwork"]?.GetValue<bool>().Should().NotBe(true);
        pod["hostPID"]?.GetValue<bool>().Should().NotBe(true);
        pod["hostIPC"]?.GetValue<bool>().Should().NotBe(true);
        foreach (var container in pod.AllContainers())
        {
            var name = container["name"]!.GetValue<string>();
            var sc = container["securityContext"]!;
            sc["runAsNonRoot"]!.GetValue<bool>().Should().BeTrue(name);
            sc["runAsUser"]!.GetValue<long>().Should().Be(podSecurity["runAsUser"]!.GetValue<long>(), name);
            sc["runAsGroup"]!.GetValue<long>().Should().Be(podSecurity["runAsGroup"]!.GetValue<long>(), name);
            sc["readOnlyRootFilesystem"]!.GetValue<bool>().Should().BeTrue(name);
            sc["allowPrivilegeEscalation"]!.GetValue<bool>().Should().BeFalse(name);
            sc["privileged"]?.GetValue<bool>().Should().NotBe(true, name);
            Manifest.Strings(sc["capabilities"]!["drop"]).Should().Equal(new[] { "ALL" }, name);
            sc["capabilities"]!["add"].Should().BeNull(name);
            sc["seccompProfile"]!["type"]!.GetValue<string>().Should().Be("RuntimeDefault", name);
            Manifest.Items(container["ports"]).Should().OnlyContain(p => p["hostPort"] == null, name);
        }
    }

    [TestCaseSource(nameof(Environments))]
    public async Task The_runtime_has_a_writable_tmp_on_an_otherwise_read_only_filesystem(string env)
    {
        var (_, deployment, manager, _) = await Operator(env);
        var mount = Manifest.Items(manager["volumeMounts"]).Should().ContainSingle(m => m["mountPath"]!.GetValue<string>() == "/tmp").Which;
        var volume = Manifest.Items(deployment.PodSpec()["volumes"])
            .Should().ContainSingle(v => v["name"]!.GetValue<string>() == mount["name"]!.GetValue<string>()).Which;

        volume["emptyDir"].Should().NotBeNull("/tmp is an emptyDir");
        mount["readOnly"]?.GetValue<bool>().Should().NotBe(true);
    }

    [TestCaseSource(nameof(Environments))]
    public async Task Probes_and_metrics_use_the_operators_ports(string env)
    {
        var (objects, deployment, manager, args) = await Operator(env);
        var ports = Manifest.Items(manager["ports"]).ToDictionary(p => p["name"]!.GetValue<string>(), p => p["containerPort"]!.GetValue<long>());
        var options = Bind(args, manager);

        ports.Should().Equal(new Dictionary<string, long> { ["metrics"] = 8080, ["health"] = 8081 });
        options.MetricsPort.Should().Be((int)ports["metrics"]);
        options.HealthPort.Should().Be((int)ports["health"]);
        foreach (var (probe, path) in new[] { ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz") })
        {
            var get = manager[probe]!["httpGet"]!;
            get["path"]!.GetValue<string>().Should().Be(path);
            var port = get["port"]!;
            (port.GetValueKind() == System.Text.Json.JsonValueKind.String ? ports[port.GetValue<string>()] : port.GetValue<long>())
                .Should().Be(8081L, $"{probe} goes to the health port");
        }

        var service = objects.OfKind("Service").Should().ContainSingle().Which;
        service.Namespace().Should().Be(Manifest.OperatorNamespace);
        var servicePort = Manifest.Items(service["spec"]!["ports"]).Should().ContainSingle().Which;
        servicePort["name"]!.GetValue<string>().Should().Be("metrics");
        servicePort["port"]!.GetValue<long>().Should().Be(8080);
        servicePort["targetPort"]!.ToString().Should().BeOneOf("metrics", "8080");
        Manifest.StringMap(service["spec"]!["selector"]).Should().BeSubsetOf(
            Manifest.StringMap(deployment["spec"]!["template"]!["metadata"]!["labels"]));
    }

    [TestCaseSource(nameof(Environments))]
    public async Task Resources_fit_about_150_MB_of_RSS_at_10k_objects(string env)
    {
        var (_, _, manager, _) = await Operator(env);
        var requests = manager["resources"]!["requests"]!;
        var limits = manager["resources"]!["limits"]!;

        Manifest.MemoryBytes(requests["memory"]!.ToString()).Should().BeInRange(150L << 20, 256L << 20);
        Manifest.MemoryBytes(limits["memory"]!.ToString()).Should().BeGreaterThanOrEqualTo(300L << 20, "headroom over ~150 MB for GC and bursts");
        Manifest.MemoryBytes(limits["memory"]!.ToString()).Should().BeGreaterThanOrEqualTo(Manifest.MemoryBytes(requests["memory"]!.ToString()));
        Manifest.MilliCpu(requests["cpu"]!.ToString()).Should().BePositive();
        Manifest.MilliCpu(limits["cpu"]!.ToString()).Should().BeGreaterThanOrEqualTo(Manifest.MilliCpu(requests["cpu"]!.ToString()));
    }

    [TestCase("dev", 1, false)]
    [TestCase("staging", 2, true)]
    [TestCase("production", 2, true)]
    public async Task Replicas_and_leader_election_per_overlay(string env, long replicas, bool leaderElect)
    {
        var (_, deployment, manager, args) = await Operator(env);
        var options = Bind(args, manager);

        deployment["spec"]!["replicas"]!.GetValue<long>().Should().Be(replicas);
        args[0].Should().Be("run", "the Dockerfile's entrypoint takes the mode first");
        Manifest.Flag(args, "--leader-elect").Should().Be(leaderElect ? "true" : "false");
        options.LeaderElect.Should().Be(leaderElect);
        if (replicas > 1)
        {
            leaderElect.Should().BeTrue("more than one replica must elect a leader");
        }
        if (leaderElect)
        {
            // The Lease lives where the leader-election Role grants it, and POD_NAME names the holder.
            options.LeaderElectionNamespace.Should().Be(Manifest.OperatorNamespace);
            FieldRef(manager, "POD_NAME").Should().Be("metadata.name");
        }
    }

    [TestCaseSource(nameof(Environments))]
    public async Task Every_flag_is_one_the_operator_understands(string env)
    {
        var (_, _, _, args) = await Operator(env);

        args.Skip(1).Should().OnlyContain(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('='),
            "flags are written --name=value so that none can be read as the mode or as another flag's value");
        args.Skip(1).Select(a => a.Split('=', 2)[0]).Should().OnlyContain(f => OperatorOptions.SwitchMappings.ContainsKey(f),
            "a misspelt flag would be silently ignored by the configuration binder");
    }

    [TestCase("dev", "Debug", "text")]
    [TestCase("staging", "Information", "json")]
    [TestCase("production", "Information", "json")]
    public async Task Log_level_and_format_per_overlay(string env, string level, string format)
    {
        var (_, _, manager, args) = await Operator(env);

        Manifest.Flag(args, "--log-level").Should().Be(level);
        Bind(args, manager).LogFormat.Should().Be(format);
    }

    [Test]
    public async Task Dev_has_a_LocalStack_provider_with_static_credentials_from_a_generated_Secret()
    {
        var objects = await Build("dev");
        var provider = objects.Single("AWSProvider", "localstack", "default");
        var spec = provider["spec"]!;
        var secretName = spec["accessKeyIDRef"]!["name"]!.GetValue<string>();
        var secret = objects.Single("Secret", secretName, "default");
        var data = Manifest.StringMap(secret["data"]).ToDictionary(p => p.Key, p => Encoding.UTF8.GetString(Convert.FromBase64String(p.Value)));

        spec["endpoint"]!.GetValue<string>().Should().Be("http://localstack.localstack.svc.cluster.local:4566");
        spec["region"]!.GetValue<string>().Should().Be("us-east-1");
        secretName.Should().MatchRegex("^aws-credentials-[a-z0-9]{10}$", "secretGenerator names it with a content hash");
        spec["secretAccessKeyRef"]!["name"]!.GetValue<string>().Should().Be(secretName);
        data.Should().Contain(spec["accessKeyIDRef"]!["key"]!.GetValue<string>(), "test")
            .And.Contain(spec["secretAccessKeyRef"]!["key"]!.GetValue<string>(), "test");
        CrdJsonSchema.Failures(CrdJsonSchema.For("AWSProvider"), provider).Should().BeEmpty("the provider must pass the CRD schema");
    }

    [TestCase("staging")]
    [TestCase("production")]
    public async Task Only_dev_ships_credentials_or_custom_resources(string env)
    {
        var objects = await Build(env);

        objects.OfKind("Secret").Should().BeEmpty();
        objects.Where(o => o["apiVersion"]!.GetValue<string>().StartsWith("aws-infra-operator.runner.codes/", StringComparison.Ordinal))
            .Should().BeEmpty();
    }

    [TestCase("dev", @"^infra-operator:dev$")]
    [TestCase("staging", @"^[a-z0-9.\-/]+/infra-operator:[0-9]+\.[0-9]+\.[0-9]+$")]
    [TestCase("production", @"^[a-z0-9.\-/]+/infra-operator@sha256:[0-9a-f]{64}$")]
    public async Task Image_per_overlay(string env, string pattern)
    {
        var (_, _, manager, _) = await Operator(env);

        manager["image"]!.GetValue<string>().Should().MatchRegex(pattern);
    }

    [Test]
    public async Task Production_pins_a_digest_marked_as_a_placeholder_to_replace()
    {
        var kustomization = await File.ReadAllTextAsync(Path.Combine(Kustomize.Overlay("production"), "kustomization.yaml"));
        var digestLine = kustomization.Split('\n').Select((l, i) => (l, i)).Single(x => x.l.Contains("digest: sha256:", StringComparison.Ordinal));

        kustomization.Split('\n')[digestLine.i - 1].Should().Contain("REPLACE");
    }

    [Test]
    public async Task Production_uses_IRSA_on_the_guides_ServiceAccount()
    {
        var objects = await Build("production");
        var sa = objects.Single("ServiceAccount", Manifest.OperatorServiceAccount, Manifest.OperatorNamespace);

        Manifest.StringMap(sa["metadata"]!["annotations"]).Should().Contain(
            "eks.amazonaws.com/role-arn", "arn:aws:iam::123456789012:role/infra-operator-ecs-role");
    }

    [Test]
    public async Task Production_survives_a_drain_and_a_zone_or_node_loss()
    {
        var (objects, deployment, _, _) = await Operator("production");
        var podLabels = Manifest.StringMap(deployment["spec"]!["template"]!["metadata"]!["labels"]);
        var pdb = objects.OfKind("PodDisruptionBudget").Should().ContainSingle().Which;
        var spread = Manifest.Items(deployment.PodSpec()["topologySpreadConstraints"]);

        pdb.Namespace().Should().Be(Manifest.OperatorNamespace);
        pdb["spec"]!["minAvailable"]!.GetValue<long>().Should().Be(1);
        pdb["spec"]!["maxUnavailable"].Should().BeNull();
        Manifest.StringMap(pdb["spec"]!["selector"]!["matchLabels"]).Should().NotBeEmpty().And.BeSubsetOf(podLabels);

        spread.Select(c => c["topologyKey"]!.GetValue<string>()).Should().BeEquivalentTo("topology.kubernetes.io/zone", "kubernetes.io/hostname");
        foreach (var constraint in spread)
        {
            constraint["maxSkew"]!.GetValue<long>().Should().Be(1);
            Manifest.StringMap(constraint["labelSelector"]!["matchLabels"]).Should().NotBeEmpty().And.BeSubsetOf(podLabels);
        }
    }

    /// <summary>Production with the opt-in ServiceMonitor component, as the overlay's comment says to add it.</summary>
    private static Task<IReadOnlyList<JsonObject>> ProductionWithMonitoring() => Kustomize.BuildAdHocAsync("""
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - {deploy/overlays/production}
        components:
          - {manifests/prometheus}
        """, "deploy/overlays/production", "manifests/prometheus");

    [Test]
    public async Task The_ServiceMonitor_component_scrapes_the_metrics_Service()
    {
        var objects = await ProductionWithMonitoring();
        var monitor = objects.OfKind("ServiceMonitor").Should().ContainSingle().Which;
        var service = objects.OfKind("Service").Should().ContainSingle().Which;
        var endpoint = Manifest.Items(monitor["spec"]!["endpoints"]).Should().ContainSingle().Which;

        monitor.Namespace().Should().Be(Manifest.OperatorNamespace);
        Manifest.StringMap(monitor["spec"]!["selector"]!["matchLabels"]).Should().BeSubsetOf(Manifest.StringMap(service["metadata"]!["labels"]));
        endpoint["port"]!.GetValue<string>().Should().Be("metrics");
        endpoint["path"]!.GetValue<string>().Should().Be("/metrics");
        objects.Where(o => o.Kind() != "ServiceMonitor").Select(o => $"{o.Kind()} {o.Namespace()}/{o.Name()}")
            .Should().BeEquivalentTo((await Build("production")).Select(o => $"{o.Kind()} {o.Namespace()}/{o.Name()}"));
        (await File.ReadAllTextAsync(Path.Combine(Kustomize.Overlay("production"), "kustomization.yaml")))
            .Should().Contain("#   - ../../../manifests/prometheus", "the overlay says how to opt in");
    }

    [Test]
    public async Task No_overlay_needs_the_Prometheus_Operator()
    {
        foreach (var env in Environments())
        {
            (await Build(env)).Should().OnlyContain(o => !(o["apiVersion"]!.GetValue<string>()).StartsWith("monitoring.coreos.com/", StringComparison.Ordinal), env);
        }
        (await Kustomize.BuildAsync(Kustomize.Repo("manifests"))).OfKind("ServiceMonitor").Should().BeEmpty();
    }

    [Test]
    public async Task The_plain_manifests_build_and_match_the_base()
    {
        var plain = await Kustomize.BuildAsync(Kustomize.Repo("manifests"));
        var @base = await Kustomize.BuildAsync(Kustomize.Repo("deploy", "base"));

        plain.Select(o => $"{o.Kind()} {o.Namespace()}/{o.Name()}").Should().Equal(@base.Select(o => $"{o.Kind()} {o.Namespace()}/{o.Name()}"));
    }

    /// <summary>
    /// The operator's options as it would read them from this container: its environment (INFRA_OPERATOR_*) and its
    /// args after the mode, with Kubernetes' $(VAR) expansion of the container's own env applied first.
    /// </summary>
    private static OperatorOptions Bind(IReadOnlyList<string> args, JsonObject container)
    {
        var env = Manifest.Items(container["env"]).ToDictionary(
            e => e["name"]!.GetValue<string>(),
            e => e["value"]?.GetValue<string>() ?? (e["valueFrom"]?["fieldRef"]?["fieldPath"]?.GetValue<string>() == "metadata.namespace" ? Manifest.OperatorNamespace : null));
        var expanded = args.Skip(1).Select(a => VarReference().Replace(a, m => env.GetValueOrDefault(m.Groups[1].Value) ?? m.Value)).ToArray();
        var settings = env.Where(e => e.Key.StartsWith("INFRA_OPERATOR_", StringComparison.Ordinal))
            .ToDictionary(e => e.Key["INFRA_OPERATOR_".Length..].Replace("__", ":", StringComparison.Ordinal), e => e.Value);
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings)
            .AddInMemoryCollection(global::Operator.CommandLine.FlagParser.Parse(expanded, global::Operator.Hosting.OperatorFlags.All).Settings)
            .Build();
        return configuration.Get<OperatorOptions>() ?? new OperatorOptions();
    }

    /// <summary>The downward-API field an env var of the container is set from.</summary>
    private static string? FieldRef(JsonObject container, string name) =>
        Manifest.Items(container["env"]).SingleOrDefault(e => e["name"]!.GetValue<string>() == name)?["valueFrom"]?["fieldRef"]?["fieldPath"]?.GetValue<string>();

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex VarReference();
}

using Operator.Testing.Kubernetes;
using Operator.Tests.Kubernetes;

namespace Operator.Tests.Deploy;

/// <summary>
/// Each overlay's <c>kubectl kustomize</c> output applies, with server-side apply and kubectl's strict validation,
/// on a plain cluster (the emulator started empty: no CRDs, no Prometheus Operator), as the installation guide does
/// it: the CRDs first, then everything; every object is accepted and stored, and a server-side dry-run of the same
/// apply passes. With the opt-in ServiceMonitor component the apply fails as on a real cluster without the
/// monitoring.coreos.com CRDs, naming the kind, while everything else is applied.
/// </summary>
[TestFixture]
public sealed class OverlayApplyTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);

    private KubeApiEmulator _emulator = null!;
    private string _home = null!;
    private string _kubeconfig = null!;

    public static IEnumerable<string> Environments() => OverlayTests.Environments();

    [SetUp]
    public async Task SetUpAsync()
    {
        if (!File.Exists(KubectlProcess.Binary) && KubectlProcess.Binary.StartsWith('/'))
        {
            Assert.Ignore("kubectl is not installed");
        }

        _home = Directory.CreateTempSubdirectory("kubectl-overlay-").FullName;
        _kubeconfig = Path.Combine(_home, "kubeconfig");
        _emulator = await KubeApiEmulator.StartAsync(new KubeApiEmulatorOptions { KubeconfigPath = _kubeconfig });
    }

    [TearDown]
    public async Task TearDownAsync()
    {
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

    [TestCaseSource(nameof(Environments))]
    public async Task The_overlay_applies_server_side_with_strict_validation_on_a_plain_cluster(string env)
    {
        var objects = await Kustomize.BuildAsync(Kustomize.Overlay(env));

        await ApplyCrdsAsync(objects);
        var applied = await ApplyAsync(objects, "--server-side", "--validate=strict");

        applied.ExitCode.Should().Be(0, $"every object of the {env} overlay must be accepted. stderr: {applied.Stderr}");
        foreach (var obj in objects)
        {
            applied.Stdout.Should().Contain($"{Resource(obj)} serverside-applied");
        }

        var stored = await KubectlAsync(["get", "-f", "-", "-o", "name"], Documents(objects));
        stored.ExitCode.Should().Be(0, stored.Stderr);
        stored.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().BeEquivalentTo(objects.Select(Resource),
            "every applied object is stored and served back");

        var dryRun = await ApplyAsync(objects, "--server-side", "--validate=strict", "--dry-run=server");
        dryRun.ExitCode.Should().Be(0, dryRun.Stderr);
        dryRun.Stdout.Should().Contain("(server dry run)");
    }

    [Test]
    public async Task With_the_ServiceMonitor_component_the_apply_fails_clearly_without_the_Prometheus_Operator()
    {
        var objects = await Kustomize.BuildAdHocAsync("""
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
              - {deploy/overlays/production}
            components:
              - {manifests/prometheus}
            """, "deploy/overlays/production", "manifests/prometheus");
        var monitor = objects.OfKind("ServiceMonitor").Should().ContainSingle().Which;

        await ApplyCrdsAsync(objects);
        var applied = await ApplyAsync(objects, "--server-side", "--validate=strict");

        applied.ExitCode.Should().NotBe(0, "a real cluster without the Prometheus Operator refuses the ServiceMonitor");
        applied.Stderr.Should().Contain("no matches for kind \"ServiceMonitor\" in version \"monitoring.coreos.com/v1\"")
            .And.Contain("ensure CRDs are installed first");
        foreach (var obj in objects.Where(o => o.Kind() != "ServiceMonitor"))
        {
            applied.Stdout.Should().Contain($"{Resource(obj)} serverside-applied", "the rest of the install still applies");
        }

        // Only the missing CRD was in the way: once the Prometheus Operator's kind is served, the same apply passes.
        _emulator.RegisterCrdYaml(ServiceMonitorCrd);
        var again = await ApplyAsync(objects, "--server-side", "--validate=strict");
        again.ExitCode.Should().Be(0, again.Stderr);
        again.Stdout.Should().Contain($"servicemonitor.monitoring.coreos.com/{monitor.Name()} serverside-applied");
    }

    /// <summary>The installation guide's first step: the CRDs, then wait until they are Established.</summary>
    private async Task ApplyCrdsAsync(IReadOnlyList<JsonObject> objects)
    {
        var crds = objects.OfKind("CustomResourceDefinition").ToList();
        crds.Should().NotBeEmpty();
        var applied = await ApplyAsync(crds, "--server-side", "--validate=strict");
        applied.ExitCode.Should().Be(0, applied.Stderr);
        var established = await KubectlAsync(["wait", "--for=condition=Established", "--timeout=60s", .. crds.Select(c => $"crd/{c.Name()}")]);
        established.ExitCode.Should().Be(0, established.Stderr);
    }

    private Task<KubectlResult> ApplyAsync(IEnumerable<JsonObject> objects, params string[] flags) =>
        KubectlAsync(["apply", .. flags, "-f", "-"], Documents(objects));

    private async Task<KubectlResult> KubectlAsync(string[] args, string? stdin = null)
    {
        using var p = KubectlProcess.Start(_kubeconfig, _home, args, stdin);
        await p.WaitForExitAsync(CommandTimeout);
        return new KubectlResult(p.ExitCode, p.Stdout, p.Stderr);
    }

    /// <summary>A YAML stream of the objects (each document is its JSON, which is YAML).</summary>
    private static string Documents(IEnumerable<JsonObject> objects)
    {
        var text = new StringBuilder();
        foreach (var obj in objects)
        {
            text.Append("---\n").Append(obj.ToJsonString()).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>What kubectl prints for an object: <c>kind.group/name</c> (the core group has no suffix).</summary>
    private static string Resource(JsonObject obj)
    {
        var apiVersion = obj["apiVersion"]!.GetValue<string>();
        var group = apiVersion.Contains('/', StringComparison.Ordinal) ? "." + apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : "";
        return $"{obj.Kind().ToLowerInvariant()}{group}/{obj.Name()}";
    }

    private sealed record KubectlResult(int ExitCode, string Stdout, string Stderr);

    /// <summary>A minimal stand-in for the Prometheus Operator's CRD: the kind, served, with an open schema.</summary>
    private const string ServiceMonitorCrd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: servicemonitors.monitoring.coreos.com
        spec:
          group: monitoring.coreos.com
          scope: Namespaced
          names:
            plural: servicemonitors
            singular: servicemonitor
            kind: ServiceMonitor
            listKind: ServiceMonitorList
          versions:
            - name: v1
              served: true
              storage: true
              schema:
                openAPIV3Schema:
                  type: object
                  x-kubernetes-preserve-unknown-fields: true
        """;
}

using Operator.Core.Aws.Resilience;
using Operator.Core.Leadership;

namespace Operator.Tests.Engine;

/// <summary>
/// Defaults live in one place: with no setting given, the options records the host builds from the bound
/// <see cref="OperatorOptions"/> equal each component's own defaults, and a setting reaches its component.
/// </summary>
[TestFixture]
public sealed class OperatorOptionsTests
{
    [Test]
    public async Task Without_settings_every_component_gets_its_own_defaults()
    {
        await using var app = Build([]);
        var sp = app.Services;

        sp.GetRequiredService<ControllerOptions>().Should().BeEquivalentTo(new ControllerOptions());
        sp.GetRequiredService<InformerOptions>().Should().BeEquivalentTo(new InformerOptions());
        sp.GetRequiredService<AwsResilienceOptions>().Should().BeEquivalentTo(new AwsResilienceOptions());
        sp.GetRequiredService<DriftScannerOptions>().Should().BeEquivalentTo(new DriftScannerOptions());
        sp.GetRequiredService<StsClientOptions>().Should().BeEquivalentTo(new StsClientOptions());
        sp.GetRequiredService<LeaderElectionOptions>().Should().BeEquivalentTo(new LeaderElectionOptions(), o => o.Excluding(l => l.Identity));
    }

    [Test]
    public async Task A_flag_reaches_the_component_that_owns_the_setting()
    {
        await using var app = Build(["--workers", "7", "--aws-write-qps", "0.5", "--leader-election-lease-duration", "00:00:30"]);
        var sp = app.Services;

        sp.GetRequiredService<ControllerOptions>().Workers.Should().Be(7);
        sp.GetRequiredService<AwsResilienceOptions>().WriteBucket.RefillPerSecond.Should().Be(0.5);
        sp.GetRequiredService<LeaderElectionOptions>().LeaseDuration.Should().Be(TimeSpan.FromSeconds(30));
    }

    private static Microsoft.AspNetCore.Builder.WebApplication Build(string[] args) =>
        OperatorHost.Build(args, EcsOperatorModule.Register, new Operator.Core.Kubernetes.OperatorKubernetesClient(new k8s.KubernetesClientConfiguration { Host = "http://127.0.0.1:9" }, EcsOperatorModule.Json),
            overrides: new Dictionary<string, string?> { ["MetricsPort"] = "0", ["HealthPort"] = "0" });
}

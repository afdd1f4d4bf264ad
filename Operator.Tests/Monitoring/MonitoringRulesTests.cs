using Operator.Tests.Deploy;

namespace Operator.Tests.Monitoring;

/// <summary>
/// The shipped alerts and recording rules: promtool accepts them and their unit tests pass, every rule has a unit test
/// that shows it (every alert firing, with its labels and rendered annotations), the PrometheusRule of the kustomize
/// component holds exactly the same rules and the ServiceMonitor names the job they select, and the README has a
/// runbook line for every alert. What they evaluate to against the real operator is <see cref="RealPrometheusTests"/>.
/// </summary>
[TestFixture]
public sealed class MonitoringRulesTests
{
    [Test]
    public async Task Promtool_accepts_the_rules_and_their_unit_tests_pass()
    {
        var (checkCode, check) = await PrometheusServer.RunToolAsync("promtool", ["check", "rules", MonitoringRules.RuleFile]);
        checkCode.Should().Be(0, check);
        check.Should().Contain($"SUCCESS: {MonitoringRules.Rules().Count()} rules found");

        var (testCode, test) = await PrometheusServer.RunToolAsync("promtool", ["test", "rules", Path.GetFileName(MonitoringRules.TestFile)],
            workingDirectory: MonitoringRules.Directory);
        testCode.Should().Be(0, test);
        test.Should().Contain("SUCCESS");
    }

    [Test]
    public void Every_rule_has_a_unit_test_and_every_alert_is_shown_firing()
    {
        var tests = YamlJson.ParseAll(File.ReadAllText(MonitoringRules.TestFile)).Single()!["tests"]!.AsArray().Select(t => t!.AsObject()).ToList();
        tests.SelectMany(t => t["rule_files"]?.AsArray() ?? []).Should().BeEmpty("rule files are named once, at the top");
        var alertCases = tests.SelectMany(t => t["alert_rule_test"]?.AsArray() ?? []).Select(c => c!.AsObject()).ToList();
        var exprCases = tests.SelectMany(t => t["promql_expr_test"]?.AsArray() ?? []).Select(c => c!["expr"]!.GetValue<string>()).ToList();

        foreach (var alert in MonitoringRules.Alerts().Select(a => a["alert"]!.GetValue<string>()))
        {
            alertCases.Should().Contain(c => c["alertname"]!.GetValue<string>() == alert && (c["exp_alerts"] as JsonArray)!.Count > 0,
                $"{alert} must be shown firing by a promtool test");
        }
        foreach (var record in MonitoringRules.Recordings().Select(r => r["record"]!.GetValue<string>()))
        {
            exprCases.Should().Contain(e => e.Contains(record, StringComparison.Ordinal), $"the recording rule {record} must have a promql_expr_test");
        }
        var recorded = MonitoringRules.Recordings().Select(r => r["record"]!.GetValue<string>()).ToList();
        MonitoringRules.Rules().Select(r => r["expr"]!.GetValue<string>()).Should().OnlyContain(
            e => MonitoringRules.Selectors(e).All(s => s.Contains("job=\"infra-operator\"", StringComparison.Ordinal))
                && (MonitoringRules.Selectors(e).Any() || recorded.Any(r => e.Contains(r, StringComparison.Ordinal))),
            "every rule reads the operator's own scrape job, directly or through a recording rule");
    }

    [Test]
    public async Task The_PrometheusRule_component_ships_the_same_rules_and_the_ServiceMonitor_names_their_job()
    {
        var objects = await Kustomize.BuildAdHocAsync("""
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
              - {deploy/overlays/production}
            components:
              - {manifests/prometheus}
              - {manifests/prometheus-rules}
            """, "deploy/overlays/production", "manifests/prometheus", "manifests/prometheus-rules");
        var rule = objects.Single(o => o["kind"]!.GetValue<string>() == "PrometheusRule");
        rule["metadata"]!["namespace"]!.GetValue<string>().Should().Be("infra-operator-system");
        Canonical(rule["spec"]!["groups"]).Should().Be(Canonical(MonitoringRules.Groups()),
            "the PrometheusRule and monitoring/prometheus/infra-operator.rules.yaml must hold the same rules");

        var monitor = objects.Single(o => o["kind"]!.GetValue<string>() == "ServiceMonitor");
        var service = objects.Single(o => o["kind"]!.GetValue<string>() == "Service");
        var jobLabel = monitor["spec"]!["jobLabel"]!.GetValue<string>();
        service["metadata"]!["labels"]![jobLabel]!.GetValue<string>().Should().Be("infra-operator", "the rules select job=\"infra-operator\"");
        (await File.ReadAllTextAsync(Path.Combine(Kustomize.Overlay("production"), "kustomization.yaml")))
            .Should().Contain("#   - ../../../manifests/prometheus-rules", "the overlay says how to opt in");
    }

    /// <summary>The JSON text with every object's keys in order (kustomize sorts them).</summary>
    private static string Canonical(JsonNode? node) => node switch
    {
        JsonObject o => "{" + string.Join(",", o.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"\"{kv.Key}\":{Canonical(kv.Value)}")) + "}",
        JsonArray a => "[" + string.Join(",", a.Select(Canonical)) + "]",
        null => "null",
        _ => node.ToJsonString(),
    };

    [Test]
    public void The_readme_has_a_runbook_line_for_every_alert()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryLayout.Root, "README.md"));
        var monitoring = readme[readme.IndexOf("## Monitoring", StringComparison.Ordinal)..];
        monitoring = monitoring[..monitoring.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        foreach (var alert in MonitoringRules.Alerts())
        {
            var name = alert["alert"]!.GetValue<string>();
            var runbook = alert["annotations"]!["runbook"]!.GetValue<string>();
            monitoring.Should().Contain($"`{name}`").And.Contain(runbook, $"README's Monitoring section gives {name}'s runbook as the alert does");
        }
    }
}

namespace Operator.Tests.Deploy;

/// <summary>
/// docs/installation.md's plain <c>kubectl apply -f</c> install applies the same objects as
/// <c>kubectl apply -k manifests</c> plus the optional ServiceMonitor, and names only files that exist.
/// </summary>
[TestFixture]
public sealed partial class InstallationDocTests
{
    private static readonly string Doc = Path.Combine(RepositoryLayout.Root, "docs", "installation.md");

    [Test]
    public async Task The_plain_install_applies_what_the_kustomizations_build()
    {
        var text = await File.ReadAllTextAsync(Doc);
        var section = text[text.IndexOf("## 3.", StringComparison.Ordinal)..text.IndexOf("## 4.", StringComparison.Ordinal)];
        var paths = ApplyFile().Matches(section).Select(m => m.Groups[1].Value).Distinct().ToList();
        var files = paths.SelectMany(p => p.EndsWith('/')
                ? Directory.GetFiles(Path.Combine(RepositoryLayout.Root, p), "*.yaml")
                : [Path.Combine(RepositoryLayout.Root, p)])
            .ToList();

        files.Should().OnlyContain(f => File.Exists(f) && Path.GetFileName(f) != "kustomization.yaml");
        var plain = files.SelectMany(f => YamlJson.ParseAll(File.ReadAllText(f))).Select(n => Key(n!.AsObject()));
        var built = (await Kustomize.BuildAsync(Kustomize.Repo("manifests")))
            .Concat(await Kustomize.BuildAdHocAsync("""
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                components:
                  - {manifests/prometheus}
                """, "manifests/prometheus"))
            .Select(Key);

        plain.Should().BeEquivalentTo(built);
    }

    private static string Key(JsonObject o) => $"{o.Kind()} {o.Namespace()}/{o.Name()}";

    [GeneratedRegex(@"-f (manifests/[A-Za-z0-9_./-]+)")]
    private static partial Regex ApplyFile();
}

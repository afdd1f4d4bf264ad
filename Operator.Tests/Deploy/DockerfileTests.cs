using System.Xml.Linq;

namespace Operator.Tests.Deploy;

/// <summary>
/// The Dockerfile cannot be built here (no container engine), so it is checked by reading it: a multi-stage build
/// from the .NET SDK to the ASP.NET Core runtime that publishes the operator, copies every project the operator
/// needs and nothing else (no emulator, no local mode), runs as the same non-root numeric user as the Deployment, and
/// starts in exec form with <c>run</c>.
/// </summary>
[TestFixture]
public sealed class DockerfileTests
{
    private static readonly string Root = RepositoryLayout.Root;

    /// <summary>The Dockerfile's instructions (continuation lines joined, comments dropped) as (KEYWORD, rest).</summary>
    private static IReadOnlyList<(string Keyword, string Args)> Instructions()
    {
        var joined = File.ReadAllText(Path.Combine(Root, "Dockerfile")).Replace("\\\n", " ", StringComparison.Ordinal);
        return [.. joined.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split(' ', 2, StringSplitOptions.TrimEntries) is [var k, var rest] ? (k.ToUpperInvariant(), rest) : (l.ToUpperInvariant(), ""))];
    }

    /// <summary>The instructions of the last stage (after its FROM).</summary>
    private static IReadOnlyList<(string Keyword, string Args)> RuntimeStage()
    {
        var all = Instructions();
        var lastFrom = all.Select((ins, i) => (ins, i)).Last(x => x.ins.Keyword == "FROM").i;
        return [.. all.Skip(lastFrom)];
    }

    [Test]
    public void It_builds_with_the_SDK_and_runs_on_runtime_deps()
    {
        var froms = Instructions().Where(i => i.Keyword == "FROM").Select(i => i.Args).ToList();

        froms.Should().HaveCount(2);
        froms[0].Should().MatchRegex(@"^mcr\.microsoft\.com/dotnet/sdk:10\.0 AS build$");
        froms[1].Should().StartWith("mcr.microsoft.com/dotnet/runtime-deps:10.0", "a Native AOT executable needs no .NET runtime");
    }

    [Test]
    public void It_publishes_the_operator_as_Native_AOT_to_app_as_the_AOT_tests_do()
    {
        const string Publish = "dotnet publish Operator -c Release -r linux-x64 -p:PublishAot=true";
        var csproj = XDocument.Load(Path.Combine(Root, "Operator", "Operator.csproj"));

        Instructions().Should().Contain(i => i.Keyword == "RUN" && i.Args.StartsWith(Publish + " -o /app", StringComparison.Ordinal));
        File.ReadAllText(Path.Combine(Root, "scripts", "test-aot")).Should().Contain(Publish, "the image ships the build the process-level tests ran against");
        csproj.Descendants("AssemblyName").Single().Value.Should().Be("Operator", "the entrypoint runs /app/Operator");
        csproj.Descendants("IsAotCompatible").Single().Value.Should().Be("true", "every build runs the AOT analyzers, so the image's build has no warning the tests did not see");
    }

    [Test]
    public void It_starts_the_operator_in_exec_form_with_the_run_mode()
    {
        var runtime = RuntimeStage();

        JsonArray(runtime.Single(i => i.Keyword == "ENTRYPOINT").Args).Should().Equal("/app/Operator");
        JsonArray(runtime.Single(i => i.Keyword == "CMD").Args).Should().Equal("run");
        runtime.Should().NotContain(i => i.Keyword == "RUN", "the runtime stage needs no shell");
        runtime.Should().NotContain(i => i.Keyword == "SHELL");
    }

    [Test]
    public async Task It_ships_the_runtime_settings_measured_in_the_benchmarks()
    {
        // docs/benchmarks.md ("Publish options"): workstation GC in the binary's runtimeconfig (so every way of running
        // it gets it) and in the Deployment.
        var csproj = XDocument.Load(Path.Combine(Root, "Operator", "Operator.csproj"));
        var container = Manifest.OperatorDeploymentOf(await Kustomize.BuildAsync(Kustomize.Repo("deploy", "base"))).PodSpec()["containers"]![0]!;
        var env = Manifest.Items(container["env"]).Where(e => e["value"] is not null)
            .ToDictionary(e => e["name"]!.GetValue<string>(), e => e["value"]!.GetValue<string>());

        csproj.Descendants("ServerGarbageCollection").Single().Value.Should().Be("false");
        csproj.Descendants("TieredPGO").Single().Value.Should().Be("false");
        csproj.Descendants("RuntimeHostConfigurationOption").Should().ContainSingle(o => (string?)o.Attribute("Include") == "System.GC.ConserveMemory")
            .Which.Attribute("Value")!.Value.Should().Be("7");
        env.Should().Contain("DOTNET_gcServer", "0");
        // The gen0 budget has no runtimeconfig name: the image and the Deployment both set it.
        env.Should().Contain("DOTNET_GCgen0size", "0x400000");
        RuntimeStage().Where(i => i.Keyword == "ENV").Select(i => i.Args).Should().ContainMatch("*DOTNET_GCgen0size=0x400000*");
    }

    [Test]
    public async Task It_runs_as_the_Deployments_non_root_numeric_user()
    {
        var user = RuntimeStage().Last(i => i.Keyword == "USER").Args;
        var pod = Manifest.OperatorDeploymentOf(await Kustomize.BuildAsync(Kustomize.Repo("deploy", "base"))).PodSpec()["securityContext"]!;

        user.Should().MatchRegex(@"^[0-9]+:[0-9]+$", "a numeric uid:gid lets runAsNonRoot verify it");
        var ids = user.Split(':').Select(long.Parse).ToArray();
        ids.Should().OnlyContain(id => id > 0);
        ids[0].Should().Be(pod["runAsUser"]!.GetValue<long>());
        ids[1].Should().Be(pod["runAsGroup"]!.GetValue<long>());
    }

    [Test]
    public void It_copies_every_project_the_operator_references_and_no_other()
    {
        var copied = Instructions().Where(i => i.Keyword == "COPY" && !i.Args.StartsWith("--from", StringComparison.Ordinal))
            .SelectMany(i => i.Args.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipLast(1))
            .Select(s => s.TrimEnd('/'))
            .ToHashSet(StringComparer.Ordinal);

        var closure = ProjectClosure("Operator/Operator.csproj");
        foreach (var project in closure)
        {
            copied.Should().Contain(project, "restore needs the project file");
            copied.Should().Contain(Path.GetDirectoryName(project)!, "publish needs the project's sources");
        }
        closure.Should().NotContain(new[] { "Operator.Testing/Operator.Testing.csproj", "Operator.TestBed/Operator.TestBed.csproj", "Operator.Local/Operator.Local.csproj" },
            "the production host must not reference the emulators or local mode");
        copied.Should().BeEquivalentTo(closure.Concat(closure.Select(p => Path.GetDirectoryName(p)!))
            .Concat(["global.json", "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "BannedSymbols.txt"]),
            "the image gets the production host's projects only");
    }

    [Test]
    public void The_dockerignore_keeps_everything_the_Dockerfile_copies_and_drops_build_outputs()
    {
        var ignored = File.ReadAllLines(Path.Combine(Root, ".dockerignore"))
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var copied = Instructions().Where(i => i.Keyword == "COPY" && !i.Args.StartsWith("--from", StringComparison.Ordinal))
            .SelectMany(i => i.Args.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipLast(1))
            .Select(s => s.TrimEnd('/'));

        foreach (var source in copied)
        {
            ignored.Should().NotContain(p => !p.Contains('*') && (source == p || source.StartsWith(p + "/", StringComparison.Ordinal)),
                $"{source} is copied by the Dockerfile");
        }
        ignored.Should().Contain(new[] { "**/bin", "**/obj", ".git" });
    }

    /// <summary>Repository-relative paths of <paramref name="project"/> and every project it references, transitively.</summary>
    private static IReadOnlySet<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var current))
        {
            if (!seen.Add(current))
            {
                continue;
            }
            var full = Path.Combine(Root, current);
            foreach (var reference in XDocument.Load(full).Descendants("ProjectReference"))
            {
                var target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(full)!, reference.Attribute("Include")!.Value.Replace('\\', '/')));
                pending.Push(Path.GetRelativePath(Root, target).Replace('\\', '/'));
            }
        }
        return seen;
    }

    private static IReadOnlyList<string> JsonArray(string execForm) =>
        Manifest.Strings(JsonNode.Parse(execForm) as JsonArray ?? throw new FormatException($"not exec form: {execForm}"));
}

using System.Xml.Linq;

namespace Operator.Tests.Deploy;

/// <summary>
/// The production executable carries no emulator: <c>Operator/Operator.csproj</c> references neither
/// Operator.Testing nor Operator.Local, and <c>dotnet publish Operator</c> (run here with <c>--no-build</c> over the
/// build this test run already made, in the test assembly's configuration, into a temporary directory) contains no
/// Operator.Testing or Operator.Local assembly, and its deps.json names neither. Local mode is Operator.Local's.
/// Runs alone: the publish reads the repository's restore and build outputs (obj/, bin/), which a `dotnet run` of
/// another fixture (the README's quick start) restores and builds meanwhile.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ProductionBinaryTests
{
    private static readonly string[] Forbidden = ["Operator.Testing", "Operator.Local"];

    [Test]
    public void The_production_project_references_no_emulator()
    {
        var references = XDocument.Load(Path.Combine(RepositoryLayout.Root, "Operator", "Operator.csproj"))
            .Descendants("ProjectReference").Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')));

        references.Should().NotIntersectWith(Forbidden);
    }

    [Test]
    public async Task Publishing_the_operator_ships_no_emulator_assembly()
    {
        // bin/<Configuration>/<TargetFramework>/: publish the configuration this test assembly was built in.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var output = Directory.CreateTempSubdirectory("operator-publish-");
        try
        {
            var info = new ProcessStartInfo("dotnet",
                ["publish", "Operator", "-c", configuration, "--no-build", "-o", output.FullName, "-p:UseAppHost=false"])
            {
                WorkingDirectory = RepositoryLayout.Root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            info.Environment["DOTNET_NOLOGO"] = "1";
            info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
            info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token);
            process.ExitCode.Should().Be(0, await stdout + await stderr);

            var files = output.GetFiles("*", SearchOption.AllDirectories).Select(f => f.Name).ToList();
            files.Should().Contain("Operator.dll");
            files.Should().NotContain(f => Forbidden.Any(a => f.StartsWith(a + ".", StringComparison.Ordinal)));
            var deps = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(output.FullName, "Operator.deps.json")))!;
            deps["libraries"]!.AsObject().Select(l => l.Key.Split('/')[0]).Should().NotIntersectWith(Forbidden);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }
}

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Operator.Tests.Clusters;

/// <summary>
/// The shape of the ECS domain (Operator.Core/Clusters and Operator.Core/Providers), read from its source with Roslyn's
/// parser: no file over <see cref="MaxFileLines"/> lines and no method (constructor, accessor, local function) over
/// <see cref="MaxMethodLines"/>; the reconcilers' decisions are pure (no await, no Task, no clock, no writer); and
/// status, Events and finalizers are written only by the executors (and the drift scanner, a writer of its own).
/// </summary>
[TestFixture]
public sealed class DomainShapeTests
{
    public const int MaxFileLines = 350;
    public const int MaxMethodLines = 60;

    private static readonly string[] Folders = ["Clusters", "Providers"];

    /// <summary>The files that decide: plans, observations and the decisions themselves.</summary>
    private static readonly string[] DecisionFiles =
    [
        "Clusters/ClusterDecision.cs", "Clusters/ClusterDecision.Gate.cs", "Clusters/ClusterDecision.Deletion.cs", "Clusters/ClusterScript.cs",
        "Clusters/ClusterPlan.cs", "Clusters/ClusterObservation.cs", "Providers/ProviderDecision.cs", "Providers/ProviderPlan.cs",
    ];

    /// <summary>What a pure decision must not name: I/O, asynchrony, clocks, randomness, the process.</summary>
    private static readonly string[] Impure =
    [
        "Task", "ValueTask", "ObjectPatcher", "IEventRecorder", "IEcsClient", "IIdentityChecker", "IKubernetes", "IAwsCredentialsCache",
        "ILogger", "TimeProvider", "UtcNow", "Today", "Stopwatch", "Random", "Environment", "File", "HttpClient", "Thread",
    ];

    /// <summary>Who may name a writer of status, Events or finalizers (ObjectPatcher, IEventRecorder).</summary>
    private static readonly string[] Writers = ["Clusters/ClusterExecutor.cs", "Providers/ProviderExecutor.cs", "Clusters/DriftScanner.cs"];

    public static IEnumerable<string> DomainFiles() =>
        Folders.SelectMany(f => Directory.GetFiles(Path.Combine(Core, f), "*.cs"))
            .Select(p => Path.GetRelativePath(Core, p).Replace('\\', '/')).Order(StringComparer.Ordinal);

    private static string Core => Path.Combine(RepositoryLayout.Root, "Operator.Core");

    [Test]
    public void The_domain_has_files_to_check() => DomainFiles().Should().Contain(["Clusters/ClusterReconciler.cs", "Providers/ProviderReconciler.cs"]);

    [TestCaseSource(nameof(DomainFiles))]
    public void No_file_is_over_the_limit(string file) =>
        Lines(Read(file)).Should().BeLessThanOrEqualTo(MaxFileLines, $"{file} must stay within {MaxFileLines} lines: split it by concept");

    [TestCaseSource(nameof(DomainFiles))]
    public void No_method_is_over_the_limit(string file) =>
        Methods(Parse(file)).Where(m => m.Lines > MaxMethodLines).Select(m => $"{m.Name}: {m.Lines} lines")
            .Should().BeEmpty($"no method of {file} may be over {MaxMethodLines} lines");

    [Test]
    public void The_method_measure_counts_the_declaration_to_its_closing_brace()
    {
        var tree = CSharpSyntaxTree.ParseText("""
            class C
            {
                /// <summary>Doc lines are not counted.</summary>
                void M()
                {
                    var f = () =>
                    {
                    };
                }

                int P { get { return 1; } }
            }
            """);
        Methods(tree).Should().BeEquivalentTo([new Method("M", 6), new Method("get", 1)]);
    }

    [TestCaseSource(nameof(DecisionFiles))]
    public void Decisions_are_pure(string file)
    {
        var root = Parse(file).GetRoot();
        root.DescendantNodes().OfType<AwaitExpressionSyntax>().Should().BeEmpty($"{file} decides; the executor awaits");
        root.DescendantTokens().Where(t => t.IsKind(SyntaxKind.AsyncKeyword)).Should().BeEmpty();
        root.DescendantNodes().OfType<IdentifierNameSyntax>().Select(i => i.Identifier.ValueText).Where(Impure.Contains).Distinct()
            .Should().BeEmpty($"{file} must not reach I/O, a clock or the process: everything it needs is in the observation");
        root.DescendantNodes().OfType<MemberAccessExpressionSyntax>().Select(m => m.ToString()).Where(m => m is "DateTime.Now" or "DateTimeOffset.Now")
            .Should().BeEmpty($"{file} reads the time from the observation");
    }

    [TestCaseSource(nameof(DomainFiles))]
    public void Only_the_executors_write(string file)
    {
        var named = Parse(file).GetRoot().DescendantNodes().OfType<IdentifierNameSyntax>()
            .Select(i => i.Identifier.ValueText).Where(n => n is "ObjectPatcher" or "IEventRecorder").Distinct().ToList();
        if (!Writers.Contains(file))
        {
            named.Should().BeEmpty($"{file} is not an executor: status, Events and finalizers are written by the executors only");
        }
    }

    private static string Read(string file) => File.ReadAllText(Path.Combine(Core, file));

    private static SyntaxTree Parse(string file) => CSharpSyntaxTree.ParseText(Read(file), path: file);

    private static int Lines(string text) => text.Split('\n').Length - (text.EndsWith('\n') ? 1 : 0);

    /// <summary>Every method-like member with its length in lines, from its first token (after its doc comment) to its last.</summary>
    private static IEnumerable<Method> Methods(SyntaxTree tree) =>
        tree.GetRoot().DescendantNodes()
            .Where(n => n is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or AccessorDeclarationSyntax)
            .Select(n => new Method(NameOf(n), n.GetLocation().GetLineSpan() is var span ? span.EndLinePosition.Line - span.StartLinePosition.Line + 1 : 0));

    private static string NameOf(SyntaxNode node) => node switch
    {
        MethodDeclarationSyntax m => m.Identifier.ValueText,
        ConstructorDeclarationSyntax c => c.Identifier.ValueText,
        LocalFunctionStatementSyntax l => l.Identifier.ValueText,
        AccessorDeclarationSyntax a => a.Keyword.ValueText,
        _ => node.Kind().ToString(),
    };

    private sealed record Method(string Name, int Lines);
}

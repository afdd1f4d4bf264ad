using Assembly = System.Reflection.Assembly;
using ArchUnitNET.Domain;
using ArchUnitNET.Loader;
using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.Architecture;

/// <summary>
/// The layers of the product, checked on the built assemblies (Operator.Engine, Operator.Core, Operator: every type's
/// dependencies as the compiler emitted them, method bodies included): the namespace graph has no cycle; the engine
/// references nothing of AWS, Polly or the ECS domain, neither as an assembly nor as a type; and every namespace uses
/// only what docs/architecture.md's layer table allows it, which lists every product namespace: the table is what this
/// test enforces, read from the document itself.
/// </summary>
[TestFixture]
public sealed partial class LayerTests
{
    private static readonly Assembly Engine = typeof(KubeJson).Assembly;
    private static readonly Assembly Domain = typeof(ApiGroup).Assembly;
    private static readonly Assembly Host = typeof(OperatorHost).Assembly;

    /// <summary>What the engine must never reference (assembly names, or their prefixes ending in a dot).</summary>
    private static readonly string[] NotForTheEngine = ["Operator.Core", "Operator", "AWSSDK.", "Polly", "Polly.", "OpenTelemetry", "OpenTelemetry."];

    private static readonly Lazy<IReadOnlyDictionary<string, HashSet<Edge>>> Graph = new(() => BuildGraph(t => Namespace(t)));

    [Test]
    public void The_engine_references_no_assembly_of_aws_polly_or_the_domain()
    {
        var references = Engine.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        references.Should().Contain("KubernetesClient.Aot", "the engine is built on the Kubernetes client");
        references.Where(Forbidden).Should().BeEmpty("the engine knows Kubernetes and nothing of AWS or ECS");
    }

    [Test]
    public void No_engine_type_depends_on_a_type_of_aws_polly_or_the_domain()
    {
        var offending = Architecture.Value.Types
            .Where(t => AssemblyName(t) == Engine.GetName().Name)
            .SelectMany(t => t.Dependencies.Select(d => (From: t.FullName, To: d.Target)))
            .Where(d => Forbidden(AssemblyName(d.To)) || IsDomainNamespace(Namespace(d.To)))
            .Select(d => $"{d.From} -> {d.To.FullName} ({AssemblyName(d.To)})")
            .Distinct()
            .ToList();
        offending.Should().BeEmpty("the engine knows nothing of ECS, AWS or Polly");
        Architecture.Value.Types.Count(t => AssemblyName(t) == Engine.GetName().Name).Should().BeGreaterThan(50, "the engine's types were read");
    }

    [Test]
    public void The_namespaces_have_no_cycle()
    {
        Cycles(Graph.Value).Should().BeEmpty("a namespace uses only namespaces below it (docs/architecture.md, \"Layers\")");
    }

    [Test]
    public void Every_namespace_uses_only_what_the_layer_table_allows()
    {
        var table = LayerTable();
        var parts = BuildGraph(t => $"{Namespace(t)} in {AssemblyName(t)}");
        parts.Keys.Except(table.Keys).Should().BeEmpty("every product namespace has a row in docs/architecture.md's layer table, for the assembly it is in");
        table.Keys.Except(parts.Keys).Should().BeEmpty("the layer table names no namespace that does not exist in that assembly");
        var violations = parts
            .SelectMany(n => n.Value.Where(e => !table[n.Key].Contains(e.To))
                .Select(e => $"{n.Key} uses {e.To} ({e.Example}), which its row does not allow"))
            .ToList();
        violations.Should().BeEmpty();
    }

    [Test]
    public void The_runnable_contracts_are_at_the_bottom()
    {
        LayerTable()["Operator.Core.Runtime in Operator.Engine"].Should().BeEmpty("the contracts every runnable implements depend on nothing of the product");
        Graph.Value["Operator.Core.Runtime"].Should().BeEmpty();
        typeof(Operator.Core.Runtime.IRunnable).Assembly.Should().BeSameAs(Engine);
    }

    private static readonly Lazy<ArchUnitNET.Domain.Architecture> Architecture =
        new(() => new ArchLoader().LoadAssemblies(Engine, Domain, Host).Build());

    /// <summary>Node (<paramref name="node"/> of a type: its namespace, or its namespace in its assembly) → the product
    /// namespaces its types use, each with one example dependency.</summary>
    private static IReadOnlyDictionary<string, HashSet<Edge>> BuildGraph(Func<IType, string> node)
    {
        var graph = new Dictionary<string, HashSet<Edge>>(StringComparer.Ordinal);
        foreach (var type in Architecture.Value.Types.Where(IsProduct))
        {
            var from = node(type);
            var edges = graph.TryGetValue(from, out var existing) ? existing : graph[from] = [];
            // A generic parameter is no dependency: the loader names it after a method of the same signature in
            // another type (each source-generated JSON context has TryGetTypeInfoForRuntimeCustomConverter<T>).
            foreach (var dependency in type.Dependencies)
            {
                var to = dependency.Target;
                if (IsProduct(to) && Namespace(to) != Namespace(type) && edges.All(e => e.To != Namespace(to))
                    && to is not GenericParameter)
                {
                    edges.Add(new Edge(Namespace(to), $"{type.FullName} -> {to.FullName}"));
                }
            }
        }
        return graph;
    }

    /// <summary>Every strongly connected set of more than one namespace (Tarjan), each with the edges inside it.</summary>
    private static List<string> Cycles(IReadOnlyDictionary<string, HashSet<Edge>> graph)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var found = new List<string>();
        foreach (var node in graph.Keys.Order(StringComparer.Ordinal))
        {
            if (!index.ContainsKey(node))
            {
                Visit(node);
            }
        }
        return found;

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (var edge in graph.GetValueOrDefault(node) ?? [])
            {
                if (!index.ContainsKey(edge.To))
                {
                    Visit(edge.To);
                    low[node] = Math.Min(low[node], low[edge.To]);
                }
                else if (onStack.Contains(edge.To))
                {
                    low[node] = Math.Min(low[node], index[edge.To]);
                }
            }
            if (low[node] != index[node])
            {
                return;
            }
            var component = new List<string>();
            string member;
            do
            {
                member = stack.Pop();
                onStack.Remove(member);
                component.Add(member);
            }
            while (member != node);
            if (component.Count > 1)
            {
                var inside = component.SelectMany(c => graph[c].Where(e => component.Contains(e.To)).Select(e => e.Example));
                found.Add($"cycle between {string.Join(", ", component.Order(StringComparer.Ordinal))}: {string.Join("; ", inside)}");
            }
        }
    }

    /// <summary>docs/architecture.md's layer table: "namespace in assembly" → the namespaces it may use ("nothing", a
    /// list of names, or "everything above": the namespaces of the rows above it).</summary>
    private static Dictionary<string, HashSet<string>> LayerTable()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryLayout.Root, "docs", "architecture.md"));
        var section = LayerSection().Match(doc);
        section.Success.Should().BeTrue("docs/architecture.md has its \"## Layers\" section");
        var rows = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var above = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in section.Groups[1].Value.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)))
        {
            var cells = line.Split('|').Select(c => c.Trim()).ToArray();
            var name = Full(Names(cells[1]).Single());
            var assembly = Names(cells[2]).Single();
            var mayUse = cells[4] == "everything above" ? new HashSet<string>(above, StringComparer.Ordinal) : Names(cells[4]).Select(Full).ToHashSet(StringComparer.Ordinal);
            (cells[4] is "nothing" or "everything above" || mayUse.Count > 0).Should().BeTrue($"the row of {name} says what it may use: {line}");
            rows.Add($"{name} in {assembly}", mayUse);
            above.Add(name);
        }
        rows.Should().NotBeEmpty();
        return rows;
    }

    private static IEnumerable<string> Names(string cell) => Backticked().Matches(cell).Select(m => m.Groups[1].Value);

    /// <summary>Names in the table are short for Operator.Core's (<c>Queue</c>), or full for the host's (<c>Operator.Hosting</c>).</summary>
    private static string Full(string name) => name.StartsWith("Operator", StringComparison.Ordinal) ? name : "Operator.Core." + name;

    private static bool IsProduct(IType type) =>
        Namespace(type).StartsWith("Operator.", StringComparison.Ordinal)
        && AssemblyName(type) is var assembly
        && (assembly == Engine.GetName().Name || assembly == Domain.GetName().Name || assembly == Host.GetName().Name);

    private static readonly string[] DomainNamespaces =
        ["Operator.Core.Api", "Operator.Core.Aws", "Operator.Core.Bulkheads", "Operator.Core.Clusters", "Operator.Core.Providers", "Operator.Core.Monitoring", "Operator.Hosting", "Operator.CommandLine"];

    private static bool IsDomainNamespace(string ns) =>
        DomainNamespaces.Any(d => ns == d || ns.StartsWith(d + ".", StringComparison.Ordinal));

    private static string AssemblyName(IType type) => type.Assembly?.Name?.Split(',')[0] ?? "";

    private static string Namespace(IType type) => type.Namespace?.FullName ?? "";

    private static bool Forbidden(string assembly) =>
        NotForTheEngine.Any(f => f.EndsWith('.') ? assembly.StartsWith(f, StringComparison.Ordinal) : assembly == f);

    private sealed record Edge(string To, string Example);

    [GeneratedRegex(@"\n## Layers\n(.*?)(?:\n## |\z)", RegexOptions.Singleline)]
    private static partial Regex LayerSection();

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Backticked();
}

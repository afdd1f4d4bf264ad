// Renames private and internal fields to the names .editorconfig requires (IDE1006), with every reference:
// instance fields _camelCase, static fields that are not readonly s_camelCase; constants and static readonly
// fields are left alone (PascalCase rules, not renamed here). Roslyn's own IDE1006 code fix cannot fix all in a
// solution, so `dotnet format` leaves these; this does the same rename one symbol at a time with Roslyn's Renamer.
// Where the old name needed `this.` (a parameter of the same name), the qualifier is dropped when the new name
// alone binds to the same field, as the rest of the code writes `_field`.
// Usage (from the repository root): dotnet run scripts/rename-fields.cs -- Operator.sln
// Prints one line per rename and a count per project; exits 1 when a new name is already taken in its type
// (that field is left for a hand fix), 2 when the solution did not load.
#:package Microsoft.CodeAnalysis.Workspaces.MSBuild@5.12.0
#:package Microsoft.CodeAnalysis.CSharp.Workspaces@5.12.0
#:property ManagePackageVersionsCentrally=false
#:property PublishAot=false
#:property WarningsNotAsErrors=NU1603

using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.MSBuild;
using Microsoft.CodeAnalysis.Rename;

var solutionPath = args.Length == 1 ? args[0] : throw new ArgumentException("usage: rename-fields.cs <solution>");
var clock = Stopwatch.StartNew();
using var workspace = MSBuildWorkspace.Create();
var loadFailures = new List<string>();
workspace.RegisterWorkspaceFailedHandler(e =>
{
    if (e.Diagnostic.Kind == WorkspaceDiagnosticKind.Failure)
    {
        loadFailures.Add(e.Diagnostic.Message);
    }
});
var solution = await workspace.OpenSolutionAsync(solutionPath);
if (loadFailures.Count > 0)
{
    loadFailures.ForEach(Console.Error.WriteLine);
    return 2;
}

// Targets are named by documentation id (stable while other fields are renamed) and found again before each rename.
var targets = new List<(ProjectId Project, string Id, string OldName, string NewName, string Where)>();
var collisions = 0;
foreach (var project in solution.Projects.OrderBy(p => p.Name, StringComparer.Ordinal))
{
    var compilation = await project.GetCompilationAsync() ?? throw new InvalidOperationException(project.Name);
    foreach (var field in Fields(compilation.Assembly.GlobalNamespace))
    {
        var location = field.Locations.FirstOrDefault(l => l.IsInSource);
        if (location is null || field.IsImplicitlyDeclared || solution.GetDocument(location.SourceTree) is null)
        {
            continue; // metadata, compiler-made backing fields, source-generated code
        }
        var wanted = WantedName(field);
        if (wanted is null || wanted == field.Name)
        {
            continue;
        }
        var span = location.GetLineSpan();
        var where = $"{Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(solutionPath))!, span.Path)}:{span.StartLinePosition.Line + 1}";
        if (!field.ContainingType.GetMembers(wanted).IsEmpty)
        {
            Console.WriteLine($"COLLISION {where} {field.Name} -> {wanted}: the name is taken in {field.ContainingType.Name}");
            collisions++;
            continue;
        }
        targets.Add((project.Id, DocumentationCommentId.CreateDeclarationId(field)!, field.Name, wanted, where));
    }
}

var original = solution;
var renamedIds = new HashSet<string>(StringComparer.Ordinal);
foreach (var target in targets)
{
    var compilation = await solution.GetProject(target.Project)!.GetCompilationAsync();
    var field = DocumentationCommentId.GetFirstSymbolForDeclarationId(target.Id, compilation!)
        ?? throw new InvalidOperationException($"{target.Where} {target.OldName} not found again");
    solution = await Renamer.RenameSymbolAsync(solution, field, new SymbolRenameOptions(), target.NewName);
    renamedIds.Add(target.Id[..^target.OldName.Length] + target.NewName);
    Console.WriteLine($"{target.Where} {target.OldName} -> {target.NewName}");
}

var unqualified = 0;
foreach (var documentId in solution.GetChanges(original).GetProjectChanges().SelectMany(p => p.GetChangedDocuments()).ToList())
{
    var document = solution.GetDocument(documentId)!;
    var root = await document.GetSyntaxRootAsync();
    var model = await document.GetSemanticModelAsync();
    var qualified = root!.DescendantNodes().OfType<MemberAccessExpressionSyntax>()
        .Where(m => m.Expression is ThisExpressionSyntax
            && model!.GetSymbolInfo(m).Symbol is IFieldSymbol f
            && renamedIds.Contains(DocumentationCommentId.CreateDeclarationId(f.OriginalDefinition) ?? "")
            && SymbolEqualityComparer.Default.Equals(
                model.GetSpeculativeSymbolInfo(m.SpanStart, SyntaxFactory.IdentifierName(m.Name.Identifier.ValueText), SpeculativeBindingOption.BindAsExpression).Symbol?.OriginalDefinition,
                f.OriginalDefinition))
        .ToList();
    if (qualified.Count == 0)
    {
        continue;
    }
    root = root.ReplaceNodes(qualified, (m, _) => SyntaxFactory.IdentifierName(m.Name.Identifier).WithTriviaFrom(m));
    solution = solution.WithDocumentSyntaxRoot(documentId, root);
    unqualified += qualified.Count;
}

if (!workspace.TryApplyChanges(solution))
{
    throw new InvalidOperationException("the workspace did not take the changes");
}
foreach (var group in targets.GroupBy(t => solution.GetProject(t.Project)!.Name).OrderBy(g => g.Key, StringComparer.Ordinal))
{
    Console.WriteLine($"{group.Key}: {group.Count()} renamed");
}
Console.WriteLine($"{targets.Count} renamed, {unqualified} `this.` dropped, {collisions} collisions, {clock.Elapsed.TotalSeconds:F1} s");
return collisions == 0 ? 0 : 1;

// The rules of .editorconfig for fields that are neither const nor static readonly; null: no rule applies.
static string? WantedName(IFieldSymbol field)
{
    if (field.IsConst || (field.IsStatic && field.IsReadOnly)
        || field.DeclaredAccessibility is not (Accessibility.Private or Accessibility.Internal or Accessibility.ProtectedAndInternal))
    {
        return null;
    }
    var core = field.Name;
    if (field.IsStatic && core.StartsWith("s_", StringComparison.Ordinal))
    {
        core = core[2..];
    }
    core = core.TrimStart('_');
    if (core.Length == 0)
    {
        return null;
    }
    core = char.ToLowerInvariant(core[0]) + core[1..];
    return (field.IsStatic ? "s_" : "_") + core;
}

static IEnumerable<IFieldSymbol> Fields(INamespaceOrTypeSymbol container)
{
    foreach (var member in container.GetMembers())
    {
        if (member is IFieldSymbol field)
        {
            yield return field;
        }
        else if (member is INamespaceOrTypeSymbol nested)
        {
            foreach (var inner in Fields(nested))
            {
                yield return inner;
            }
        }
    }
}

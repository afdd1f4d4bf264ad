using System.Reflection;

namespace Operator.Tests.Clusters;

/// <summary>
/// The decision tables cover every condition reason the README lists (<see cref="ReasonsReadmeTests"/> keeps the README
/// and the constants equal): each reason constant is named, as its constant or its value, by a table test of the
/// decision that sets it. A reason added without a <c>Decide</c> test that produces it fails here.
/// </summary>
[TestFixture]
public sealed class DecisionCoverageTests
{
    private static readonly string[] ClusterTables = ["Clusters/ClusterDecisionTests.cs", "Clusters/ClusterDeletionDecisionTests.cs"];
    private static readonly string[] ProviderTables = ["Providers/ProviderDecisionTests.cs"];

    private static IEnumerable<TestCaseData> Homes()
    {
        yield return new TestCaseData(typeof(ClusterConditions.Reasons), ClusterTables);
        yield return new TestCaseData(typeof(ReconcileFailure), ClusterTables.Concat(ProviderTables).ToArray());
        yield return new TestCaseData(typeof(ProviderConditions.Reasons), ProviderTables);
        yield return new TestCaseData(typeof(ProviderCredentialsReasons), ProviderTables);
    }

    [TestCaseSource(nameof(Homes))]
    public void Every_condition_reason_has_a_decision_test(Type home, string[] tables)
    {
        var source = string.Concat(tables.Select(t => File.ReadAllText(Path.Combine(RepositoryLayout.Root, "Operator.Tests", t))));
        var reasons = home.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (Field: f.Name, Value: (string)f.GetRawConstantValue()!))
            .ToList();

        reasons.Should().NotBeEmpty();
        reasons.Where(r => !source.Contains($"{home.Name}.{r.Field}", StringComparison.Ordinal)
                && !source.Contains($"\"{r.Value}\"", StringComparison.Ordinal)
                && !source.Contains($"\"{r.Value})", StringComparison.Ordinal))
            .Select(r => r.Value)
            .Should().BeEmpty($"every reason of {home.Name} is produced by a table test of its decision ({string.Join(", ", tables)})");
    }
}

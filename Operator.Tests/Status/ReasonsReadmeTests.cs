using System.Reflection;

namespace Operator.Tests.Status;

/// <summary>
/// The reason constants are the one home of every condition type, condition reason and event reason the operator
/// writes, and the README documents each of them (the classes' contract says "as documented in the README").
/// </summary>
[TestFixture]
public sealed class ReasonsReadmeTests
{
    private static readonly Type[] Homes =
    [
        typeof(ClusterConditions), typeof(ClusterConditions.Reasons), typeof(ClusterConditions.EventReasons),
        typeof(ProviderConditions), typeof(ProviderConditions.Reasons), typeof(ProviderResolver.Reasons),
        typeof(ProviderCredentialsReasons), typeof(LifecycleReasons), typeof(ReconcileFailure),
    ];

    [TestCaseSource(nameof(Homes))]
    public void Every_reason_is_documented_in_the_readme(Type home)
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryLayout.Root, "README.md"));
        var values = Constants(home);

        values.Should().NotBeEmpty();
        values.Where(v => !readme.Contains($"`{v}`", StringComparison.Ordinal)).Should().BeEmpty($"every reason of {home.Name} is in README.md");
    }

    [Test]
    public void Reasons_are_CamelCase_as_Kubernetes_requires() =>
        Homes.SelectMany(Constants).Should().OnlyContain(v => System.Text.RegularExpressions.Regex.IsMatch(v, "^[A-Z][A-Za-z]*$"));

    [Test]
    public void The_spam_budget_exempts_exactly_the_lifecycle_reasons_a_cluster_records() =>
        EventRecorder.Lifecycle.Should().BeEquivalentTo(
            [ClusterConditions.EventReasons.Created, ClusterConditions.EventReasons.Updated, ClusterConditions.EventReasons.Adopted,
             ClusterConditions.EventReasons.Deleted, ClusterConditions.EventReasons.Retained, ClusterConditions.EventReasons.Released]);

    private static List<string> Constants(Type home) =>
        [.. home.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)];
}

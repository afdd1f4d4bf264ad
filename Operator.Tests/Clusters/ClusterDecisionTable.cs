namespace Operator.Tests.Clusters;

/// <summary>What the tables of <see cref="ClusterDecision.Decide"/> share: the default options, fresh fixtures per test
/// (a <see cref="DecisionFixtures"/> under its own fake clock) and the call itself.</summary>
public abstract class ClusterDecisionTable
{
    private protected static readonly ClusterReconcilerOptions Options = new();

    private protected DecisionFixtures Fixtures { get; private set; } = null!;

    [SetUp]
    public void NewFixtures() => Fixtures = new DecisionFixtures();

    private protected static ClusterPlan Decide(ClusterObservation o) => ClusterDecision.Decide(o, Options);
}

namespace Operator.Tests.Lane;

/// <summary>The Kubernetes API a lane test runs against.</summary>
public enum LaneBackend
{
    /// <summary>The in-repo emulator (every run of the suite).</summary>
    Emulator,

    /// <summary>A real kube-apiserver started as a child process (the real-apiserver lane; needs its binaries).</summary>
    Real,
}

/// <summary>
/// The lane's fixtures run once per backend with the same code, as envtest lets a Go operator's tests run against a
/// real apiserver: <c>[TestFixtureSource(typeof(Lanes), nameof(Lanes.Backends))]</c>. The real backend's fixtures
/// carry the category <see cref="RealApiServerCategory"/>: <c>scripts/test</c> runs them as their own lane when the
/// binaries are present and otherwise says so. Run without the binaries, they fail with the reason; never skipped.
/// </summary>
internal static class Lanes
{
    public const string RealApiServerCategory = "RealApiServer";

    public static IEnumerable<TestFixtureData> Backends()
    {
        yield return new TestFixtureData(LaneBackend.Emulator);
        var real = new TestFixtureData(LaneBackend.Real);
        real.Properties.Add(NUnit.Framework.Internal.PropertyNames.Category, RealApiServerCategory);
        yield return real;
    }
}

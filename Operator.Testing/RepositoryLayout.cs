namespace Operator.Testing;

/// <summary>
/// Finds the repository's own files (CRDs, samples, overlays) from wherever a test, benchmark or the local mode runs:
/// walks up from the running assembly until it meets the folder that holds <c>Operator.sln</c>.
/// </summary>
public static class RepositoryLayout
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    public static string Root => RootPath.Value;
    public static string CrdDirectory => Path.Combine(Root, "manifests", "crds");
    public static string SampleDirectory => Path.Combine(Root, "manifests", "samples");
    public static string InvalidSampleDirectory => Path.Combine(SampleDirectory, "invalid");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Operator.sln")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException(
            $"Operator.sln not found above {AppContext.BaseDirectory}; run from a checkout of the repository");
    }
}

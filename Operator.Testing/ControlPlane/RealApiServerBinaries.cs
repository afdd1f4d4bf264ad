namespace Operator.Testing.ControlPlane;

/// <summary>
/// Where the real control plane's binaries (kube-apiserver, kube-controller-manager and etcd, v1.32.13) are, as the
/// project's build tool for them leaves them: <c>KUBE_REAL_BIN</c> (the directory holding the three), else
/// <c>KUBE_REAL_DIR</c> (the cache root) or <c>~/.cache/kube-real</c>, followed by <c>v1.32.13/bin</c>.
/// No binary is ever searched for elsewhere, and a missing one is reported with the reason, never guessed around.
/// </summary>
public static class RealApiServerBinaries
{
    public const string Version = "v1.32.13";

    public static readonly IReadOnlyList<string> Required = ["kube-apiserver", "kube-controller-manager", "etcd"];

    /// <summary>The directory holding every required binary, or null with <paramref name="why"/> saying what is missing.</summary>
    public static string? Locate(out string why)
    {
        var dir = Directory();
        var missing = Required.Where(b => !File.Exists(Path.Combine(dir, b))).ToList();
        if (missing.Count == 0)
        {
            why = "";
            return dir;
        }
        why = $"{string.Join(", ", missing)} not found in {dir}";
        return null;
    }

    /// <summary>The directory the binaries are expected in (whether or not they are there).</summary>
    public static string Directory()
    {
        if (Environment.GetEnvironmentVariable("KUBE_REAL_BIN") is { Length: > 0 } bin)
        {
            return bin;
        }
        var root = Environment.GetEnvironmentVariable("KUBE_REAL_DIR") is { Length: > 0 } r
            ? r
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "kube-real");
        return Path.Combine(root, Version, "bin");
    }
}

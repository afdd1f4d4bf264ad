namespace Operator.Tests.Deploy;

/// <summary>
/// Builds kustomizations with the real <c>kubectl kustomize</c>, the command the installation guide uses.
/// Contracts: every run is bounded by <see cref="Timeout"/> and its whole process tree is killed when it overruns;
/// a failed build throws with kubectl's stderr; a directory is built once per test run (the result is cached and
/// each caller gets its own deep copy, so tests may not disturb each other).
/// </summary>
internal static class Kustomize
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static readonly ConcurrentDictionary<string, Lazy<Task<IReadOnlyList<JsonObject>>>> Cache = new(StringComparer.Ordinal);

    public static string Binary => File.Exists("/usr/bin/kubectl") ? "/usr/bin/kubectl" : "kubectl";

    /// <summary>deploy/overlays/&lt;env&gt;</summary>
    public static string Overlay(string env) => Path.Combine(RepositoryLayout.Root, "deploy", "overlays", env);

    /// <summary>A directory under the repository root, e.g. <c>Repo("manifests", "prometheus")</c>.</summary>
    public static string Repo(params string[] parts) => Path.Combine([RepositoryLayout.Root, .. parts]);

    /// <summary>The objects <c>kubectl kustomize <paramref name="directory"/></c> prints, in order.</summary>
    public static async Task<IReadOnlyList<JsonObject>> BuildAsync(string directory)
    {
        var full = Path.GetFullPath(directory);
        var built = await Cache.GetOrAdd(full, d => new Lazy<Task<IReadOnlyList<JsonObject>>>(() => RunAsync(d))).Value;
        return [.. built.Select(o => o.DeepClone().AsObject())];
    }

    /// <summary>
    /// Builds a throw-away kustomization (<paramref name="kustomizationYaml"/>) whose paths are relative to the
    /// repository root; kustomize refuses absolute paths, so they are rewritten relative to the temporary folder.
    /// Not cached.
    /// </summary>
    public static async Task<IReadOnlyList<JsonObject>> BuildAdHocAsync(string kustomizationYaml, params string[] repoRelativePaths)
    {
        var dir = Directory.CreateTempSubdirectory("kustomize-");
        try
        {
            var text = kustomizationYaml;
            foreach (var path in repoRelativePaths)
            {
                text = text.Replace("{" + path + "}", Path.GetRelativePath(dir.FullName, Repo(path)), StringComparison.Ordinal);
            }
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "kustomization.yaml"), text);
            return await RunAsync(dir.FullName);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task<IReadOnlyList<JsonObject>> RunAsync(string directory)
    {
        var psi = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("kustomize");
        psi.ArgumentList.Add(directory);
        psi.Environment.Remove("KUBECONFIG");

        using var process = new Process { StartInfo = psi };
        process.Start();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited in the meantime.
            }
            throw new TimeoutException($"kubectl kustomize {directory} did not finish within {Timeout}");
        }

        var output = await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"kubectl kustomize {directory} failed with exit code {process.ExitCode}: {await stderr}");
        }
        return [.. YamlJson.ParseAll(output).Select(n => n!.AsObject())];
    }
}

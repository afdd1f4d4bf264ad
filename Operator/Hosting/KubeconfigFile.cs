using k8s;
using k8s.KubeConfigModels;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Operator.Hosting;

/// <summary>
/// Reads a kubeconfig file into the client configuration, as
/// <see cref="KubernetesClientConfiguration.BuildConfigFromConfigFile(string, string, string, bool)"/> does, but with
/// a plain YamlDotNet deserializer of the kubeconfig model only. The library's own loader goes through
/// <c>KubernetesYaml</c>, whose first use builds attribute overrides for every Kubernetes model type: about 45 MB of
/// RSS (6 MB of it live heap) kept for the life of the process, for a file read once at start. The in-cluster path
/// reads no kubeconfig and is unaffected. Relative certificate and key paths resolve against the file's directory,
/// as the library does (<see cref="K8SConfiguration.FileName"/>). Several files in <c>KUBECONFIG</c> are merged by
/// the library, so that case is left to it.
/// </summary>
internal static class KubeconfigFile
{
    public static KubernetesClientConfiguration Load(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"kubeconfig file not found: {full}", full);
        }
        var deserializer = new DeserializerBuilder()
            .WithNamingConvention(CamelCaseNamingConvention.Instance)
            .IgnoreUnmatchedProperties()
            .Build();
        var config = deserializer.Deserialize<K8SConfiguration>(File.ReadAllText(full)) ?? new K8SConfiguration();
        config.FileName = full;
        return KubernetesClientConfiguration.BuildConfigFromConfigObject(config);
    }

    /// <summary>
    /// The kubeconfig used when no file is named and the process is not in a pod: the single file <c>KUBECONFIG</c>
    /// names, else <c>~/.kube/config</c>; several files in <c>KUBECONFIG</c> go to the library, which merges them.
    /// <paramref name="kubeconfigVariable"/> is the value of <c>KUBECONFIG</c>.
    /// </summary>
    public static KubernetesClientConfiguration LoadDefault(string? kubeconfigVariable)
    {
        var variable = kubeconfigVariable;
        var paths = (variable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return paths.Length switch
        {
            0 => Load(KubernetesClientConfiguration.KubeConfigDefaultLocation),
            1 => Load(paths[0]),
            _ => KubernetesClientConfiguration.BuildDefaultConfig(),
        };
    }
}

using System.Text.Json.Nodes;
using Operator.Testing.Aws;
using Operator.Testing.Kubernetes;

namespace Operator.Local;

/// <summary>
/// What <c>--state-dir</c> keeps across restarts of local mode, in <c>&lt;dir&gt;/local-mode.json</c>: every object of
/// the Kubernetes API emulator (CRDs, namespaces, Secrets, AWSProviders, ECSClusters with their status, Events), the
/// ECS emulator's clusters with their services, tasks and container instances, and the ports of both emulators and of
/// the operator's metrics and probes, and the emulator's admin token, so the kubeconfig and the aws CLI's export line
/// stay valid. The file is written
/// whole (to a temporary file, then renamed), so a crash leaves the previous complete state; <see cref="SaveAsync"/>
/// writes only when something changed.
/// </summary>
internal sealed record LocalState(int ApiPort, int AwsPort, int MetricsPort, int HealthPort, string? Kubernetes, string? Ecs, string? AdminToken = null)
{
    public const string FileName = "local-mode.json";

    /// <summary>The state saved in <paramref name="directory"/>, or null when there is none yet.</summary>
    public static LocalState? Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            var doc = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            return new LocalState(
                doc["apiPort"]!.GetValue<int>(), doc["awsPort"]!.GetValue<int>(), doc["metricsPort"]!.GetValue<int>(), doc["healthPort"]!.GetValue<int>(),
                doc["kubernetes"]?.ToJsonString(), doc["ecs"]?.ToJsonString(), doc["adminToken"]?.GetValue<string>());
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or NullReferenceException)
        {
            throw new Operator.CommandLine.StartupException($"cannot read the saved local state {path}: {e.Message} (move the file away to start empty)");
        }
    }

    public static LocalState Capture(KubeApiEmulator kube, AwsEmulator aws, int metricsPort, int healthPort) =>
        new(kube.BaseAddress.Port, aws.Endpoint.Port, metricsPort, healthPort, kube.ExportState(), aws.Ecs.ExportState(), kube.AdminToken);

    /// <summary>Writes this state unless it equals <paramref name="previous"/>; returns what is on disk now.</summary>
    public async Task<LocalState> SaveAsync(string directory, LocalState? previous, CancellationToken ct = default)
    {
        if (previous == this)
        {
            return this;
        }
        // Secrets' data and the admin token are in it: readable by the owner only.
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var doc = new JsonObject
        {
            ["apiPort"] = ApiPort,
            ["awsPort"] = AwsPort,
            ["metricsPort"] = MetricsPort,
            ["healthPort"] = HealthPort,
            ["kubernetes"] = Kubernetes is null ? null : JsonNode.Parse(Kubernetes),
            ["ecs"] = Ecs is null ? null : JsonNode.Parse(Ecs),
            ["adminToken"] = AdminToken,
        };
        var path = Path.Combine(directory, FileName);
        var temporary = path + ".tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        await using (var file = new FileStream(temporary, fileOptions))
        await using (var writer = new StreamWriter(file))
        {
            await writer.WriteAsync(doc.ToJsonString().AsMemory(), ct).ConfigureAwait(false);
        }
        File.Move(temporary, path, overwrite: true);
        return this;
    }
}

namespace Operator.Testing.Kubernetes;

/// <summary>How to start a <see cref="KubeApiEmulator"/>.</summary>
public sealed class KubeApiEmulatorOptions
{
    /// <summary>TCP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Source of creationTimestamp/deletionTimestamp and Table ages.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The admin's bearer token; null makes a random one. Set it where a written kubeconfig must stay valid
    /// across restarts (local mode with a state directory).</summary>
    public string? AdminToken { get; init; }

    /// <summary>When set, a kubeconfig pointing at the emulator is written here on start.</summary>
    public string? KubeconfigPath { get; init; }

    /// <summary>CRD YAML files in this directory are registered on start (e.g. manifests/crds).</summary>
    public string? CrdDirectory { get; init; }

    /// <summary>Watch events kept for resumption; older ones are compacted away (watch from before → 410).</summary>
    public int HistoryLimit { get; init; } = 10_000;

    /// <summary>How often an open watch with allowWatchBookmarks=true gets a BOOKMARK (the real server: ~1 min).</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A watch from a compacted resourceVersion gets HTTP 200 and an ERROR event with a 410 Status, as the real
    /// watch cache answers; true answers HTTP 410 with the Status body instead (both happen in the wild).
    /// </summary>
    public bool ExpiredWatchAsHttpStatus { get; init; }

    /// <summary>
    /// The order of a write's watch events and its response. The default, <see cref="WatchEventOrder.Random"/>, mixes
    /// event-first, response-first and concurrent delivery per write, as clients of a real apiserver must expect.
    /// </summary>
    public WatchEventOrder WatchEventOrder { get; init; } = WatchEventOrder.Random;

    /// <summary>Seed of <see cref="WatchEventOrder.Random"/>: the same seed gives the same sequence of choices.</summary>
    public int WatchEventOrderSeed { get; init; } = 11;

    /// <summary>
    /// Enforce RBAC from the Roles, ClusterRoles and their bindings stored in the emulator (off by default: every
    /// request is then the admin's). With it on, a request without a token is <c>system:anonymous</c> and an unknown
    /// token gets 401; use <see cref="KubeApiEmulator.IssueServiceAccountToken"/> for a ServiceAccount's identity.
    /// </summary>
    public bool EnforceRbac { get; init; }

    /// <summary>The phases and windows of <see cref="KubeApiEmulator.RestartAsync(KubeApiRestartOptions?, CancellationToken)"/> when it is given none.</summary>
    public KubeApiRestartOptions Restart { get; init; } = new();

    /// <summary>Builds the validator of a CRD version from its openAPIV3Schema; null uses CrdSchemaValidator.</summary>
    internal Func<System.Text.Json.Nodes.JsonObject, ICustomResourceValidator>? ValidatorFactory { get; init; }
}

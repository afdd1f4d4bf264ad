using System.Reflection;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Operator.Core.Aws.Credentials;
using Operator.Hosting;
using Operator.Testing.Aws;
using Operator.Testing.Kubernetes;

namespace Operator.TestBed;

/// <summary>
/// The whole product in one process over real HTTP, the one composition shared by local mode, the tests and the
/// benchmarks: the Kubernetes API emulator (CRDs installed, the listed namespaces created), the ECS + STS emulator
/// (knowing the listed keys), and the operator host built by <see cref="OperatorHost"/> with
/// <see cref="EcsOperatorModule"/> exactly as in production, pointed at both. The operator can be stopped and started
/// again over the same emulators.
/// A saved state (<see cref="InProcessStackOptions.KubeState"/>, <see cref="InProcessStackOptions.EcsState"/>) is restored
/// into the emulators before the CRDs are registered and the namespaces created.
/// Web identity (IRSA) providers authenticate through a token file the stack owns, injected as the operator's
/// <see cref="AwsEnvironment"/>: no process-wide environment variable is read or written, so several stacks may run in
/// one process. The caller must dispose the stack; disposal stops the operator, then the emulators, then deletes the
/// token file.
/// </summary>
internal sealed class InProcessStack : IAsyncDisposable
{
    private readonly DirectoryInfo _tokenDirectory;

    private InProcessStack(KubeApiEmulator kube, AwsEmulator aws, DirectoryInfo tokenDirectory, string tokenFile)
    {
        Kube = kube;
        Aws = aws;
        _tokenDirectory = tokenDirectory;
        WebIdentityTokenFile = tokenFile;
        Client = kube.CreateClient(EcsOperatorModule.Json);
    }

    public KubeApiEmulator Kube { get; }
    public AwsEmulator Aws { get; }

    /// <summary>A client of the API emulator for the stack's owner (the operator has its own).</summary>
    public IKubernetes Client { get; }

    /// <summary>The token file the operator's web identity providers read (its content is accepted by the STS emulator).</summary>
    public string WebIdentityTokenFile { get; }

    /// <summary>The running operator; null before <see cref="StartOperatorAsync"/> and after <see cref="StopOperatorAsync"/>.</summary>
    public WebApplication? App { get; private set; }

    /// <summary>The addresses the operator's metrics and probes listen on.</summary>
    public IReadOnlyList<string> OperatorAddresses =>
        [.. App?.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []];

    /// <summary>Starts both emulators and prepares them as <paramref name="options"/> says; the operator is not started.</summary>
    public static async Task<InProcessStack> StartAsync(InProcessStackOptions options)
    {
        var tokenDirectory = Directory.CreateTempSubdirectory("infra-operator-stack-");
        var tokenFile = Path.Combine(tokenDirectory.FullName, "web-identity-token");
        await File.WriteAllTextAsync(tokenFile, options.WebIdentityToken);

        var aws = await AwsEmulator.StartAsync(options.Aws);
        KubeApiEmulator? kube = null;
        try
        {
            foreach (var key in options.Credentials)
            {
                aws.Credentials.Add(key.AccessKeyId, key.SecretAccessKey, key.Account, key.Name);
            }
            if (options.EcsState is { } ecsState)
            {
                aws.Ecs.ImportState(ecsState);
            }
            kube = await KubeApiEmulator.StartAsync(options.Kube);
            if (options.KubeState is { } kubeState)
            {
                kube.ImportState(kubeState);
            }
            foreach (var yaml in options.CrdYaml)
            {
                kube.RegisterCrdYaml(yaml);
            }
            var stack = new InProcessStack(kube, aws, tokenDirectory, tokenFile);
            foreach (var ns in options.Namespaces)
            {
                try
                {
                    await stack.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
                }
                catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict && options.KubeState is not null)
                {
                    // Restored with the saved state.
                }
            }
            return stack;
        }
        catch
        {
            if (kube is not null)
            {
                await kube.DisposeAsync();
            }
            await aws.DisposeAsync();
            tokenDirectory.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Builds and starts the operator host. Settings, later winning: <see cref="EmulatorSettings"/> (with
    /// <paramref name="resync"/>, default the operator's 10 minutes), appsettings.json, INFRA_OPERATOR_ environment,
    /// <paramref name="args"/>, <paramref name="settings"/>. <paramref name="compose"/> runs after the module, so it may
    /// add services or replace them; <paramref name="beforeStart"/> sees the built services before anything runs (to
    /// attach informer handlers that must see every event). The caller must stop the operator before starting another.
    /// </summary>
    public async Task StartOperatorAsync(
        string[]? args = null, IReadOnlyDictionary<string, string?>? settings = null,
        Action<WebApplicationBuilder, OperatorOptions>? compose = null, TimeSpan? resync = null,
        Action<IServiceProvider>? beforeStart = null, CancellationToken cancellationToken = default)
    {
        if (App is not null)
        {
            throw new InvalidOperationException("the operator is already running; stop it first");
        }
        var environment = new AwsEnvironment(
            name => name == AwsEnvironment.WebIdentityTokenFileVariable ? WebIdentityTokenFile : null, File.Exists);
        var app = OperatorHost.Build(args ?? [], (builder, options) =>
        {
            // Before the module: its registration only adds the process environment when none is registered.
            builder.Services.AddSingleton(environment);
            EcsOperatorModule.Register(builder, options);
            compose?.Invoke(builder, options);
        }, Kube.CreateClient(EcsOperatorModule.Json), settings?.ToDictionary(), EmulatorSettings(Aws.Endpoint, resync ?? new OperatorOptions().ResyncPeriod));
        beforeStart?.Invoke(app.Services);
        await app.StartAsync(cancellationToken);
        App = app;
    }

    public async Task StopOperatorAsync()
    {
        if (App is { } app)
        {
            App = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>
    /// Operator settings for running against the in-process emulators: one replica (no Lease), the ECS + STS emulator
    /// as the AWS endpoint, readable logs, free ports for metrics and probes, and a provider policy that allows every
    /// endpoint, role and namespace (a laptop has no tenants; every example of the guide must work).
    /// </summary>
    public static Dictionary<string, string?> EmulatorSettings(Uri awsEndpoint, TimeSpan resync) => new()
    {
        ["LeaderElect"] = "false",
        ["AwsEndpoint"] = awsEndpoint.ToString(),
        ["LogFormat"] = "text",
        ["BindAddress"] = "127.0.0.1",
        ["MetricsPort"] = "0",
        ["HealthPort"] = "0",
        ["ResyncPeriod"] = resync.ToString(),
        ["AllowedEndpoints"] = "*",
        ["AllowedRoleArns"] = "*",
        ["DefaultCredentialsNamespaces"] = "*",
        [Telemetry.ServiceNameKey] = "infra-operator-local",
    };

    /// <summary>The CRDs of manifests/crds, embedded in this assembly (local mode runs without a checkout).</summary>
    public static IReadOnlyList<string> EmbeddedCrds()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var crds = new List<string>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("crds/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            crds.Add(reader.ReadToEnd());
        }
        return crds;
    }

    public async ValueTask DisposeAsync()
    {
        await StopOperatorAsync();
        Client.Dispose();
        await Aws.DisposeAsync();
        await Kube.DisposeAsync();
        _tokenDirectory.Delete(recursive: true);
    }
}

/// <summary>Keys the AWS emulator accepts, and the identity (account, user name) STS reports for them.</summary>
internal sealed record StackCredential(string AccessKeyId, string SecretAccessKey, string Name, string Account = AwsCredentialStore.DefaultAccountId);

/// <summary>How <see cref="InProcessStack.StartAsync"/> prepares the emulators; every part is optional.</summary>
internal sealed record InProcessStackOptions
{
    public KubeApiEmulatorOptions Kube { get; init; } = new();
    public AwsEmulatorOptions Aws { get; init; } = new();

    /// <summary>CRD documents registered after start, in addition to any <see cref="KubeApiEmulatorOptions.CrdDirectory"/>.</summary>
    public IReadOnlyList<string> CrdYaml { get; init; } = [];

    /// <summary>Created after start (each must not exist yet, unless it comes back with <see cref="KubeState"/>).</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary>Objects restored into the Kubernetes API emulator before anything else (<see cref="KubeApiEmulator.ExportState"/>).</summary>
    public string? KubeState { get; init; }

    /// <summary>ECS state restored into the AWS emulator before anything else (<see cref="EcsEmulatorBackend.ExportState"/>).</summary>
    public string? EcsState { get; init; }

    public IReadOnlyList<StackCredential> Credentials { get; init; } = [];

    /// <summary>The content of the web identity token file (the STS emulator accepts any token).</summary>
    public string WebIdentityToken { get; init; } = "eyJhbGciOiJSUzI1NiJ9.in-process-web-identity.signature";
}

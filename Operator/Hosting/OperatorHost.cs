using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Operator.Core.Aws.Resilience;
using Operator.Core.Controllers;
using Operator.Core.Informers;
using Operator.Core.Kubernetes;
using Operator.Core.Leadership;
using Operator.Core.Queue;
using Operator.Core.Runtime;
using Operator.Core.Supervision;
using Operator.CommandLine;

namespace Operator.Hosting;

/// <summary>
/// Builds the operator process: configuration, JSON logs, the Kubernetes client, metrics and traces, the probe and
/// metrics endpoints, and the <see cref="ControllerManager"/> running whatever informers and controllers
/// <paramref name="compose"/> registers. Ports 0 pick free ports (tests); the bound addresses are logged.
/// Settings, later winning: <paramref name="defaults"/>, appsettings.json, environment, <paramref name="args"/>,
/// <paramref name="overrides"/>.
/// </summary>
internal static class OperatorHost
{
    public static readonly string[] Meters =
        [ControllerMetrics.MeterName, WorkQueueMetrics.MeterName, InformerMetrics.MeterName, AwsApiTelemetry.Name, Core.Clusters.DriftScanner.MeterName,
         LeadershipMetrics.MeterName, Core.Monitoring.FleetMetrics.MeterName];

    public static readonly string[] ActivitySources = [ControllerMetrics.ActivitySourceName, AwsApiTelemetry.Name];

    public static WebApplication Build(
        string[] args, Action<WebApplicationBuilder, OperatorOptions> compose, IKubernetes? client = null,
        IDictionary<string, string?>? overrides = null, IDictionary<string, string?>? defaults = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.Sources.Clear();
        if (defaults is not null)
        {
            builder.Configuration.AddInMemoryCollection(defaults);
        }
        builder.Configuration
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables("INFRA_OPERATOR_")
            // The standard OTEL_* variables, POD_NAME and the AWS_* variables, under their own names: the OpenTelemetry
            // SDK reads its own from this configuration (exporter endpoint, protocol, headers, resource attributes), the
            // host its pod name, the credential sources the web identity token file (AwsCredentialsRegistration).
            .AddInMemoryCollection(HostVariables())
            .AddInMemoryCollection(FlagParser.Parse(args, OperatorFlags.All) is { ShowHelp: false } flags
                ? flags.Settings
                : throw new UsageException("--help is answered by the executable before the host is built"));
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }
        OperatorOptions options;
        try
        {
            options = builder.Configuration.Get<OperatorOptions>() ?? new OperatorOptions();
        }
        catch (InvalidOperationException e)
        {
            // A value from the environment or appsettings.json the flags' own checks never saw.
            throw new UsageException($"invalid setting: {e.Message}");
        }
        Validate(options);

        var telemetry = Telemetry.From(builder.Configuration);
        ConfigureLogging(builder, options, telemetry);
        var bind = options.BindAddress.Contains(':', StringComparison.Ordinal) ? $"[{options.BindAddress}]" : options.BindAddress;
        builder.WebHost.UseUrls($"http://{bind}:{options.MetricsPort}", $"http://{bind}:{options.HealthPort}");
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(EcsOperatorModule.Json);
        services.AddSingleton(client ?? new OperatorKubernetesClient(LoadKubernetesConfig(options), EcsOperatorModule.Json));
        services.AddSingleton(sp => new RawApiClient(sp.GetRequiredService<IKubernetes>(), sp.GetRequiredService<KubeJson>()));
        services.AddSingleton<InformerMetrics>();
        services.AddSingleton<ControllerMetrics>();
        services.AddSingleton(new InformerOptions { Namespaces = options.NamespaceList, ResyncPeriod = options.ResyncPeriod });
        services.AddSingleton(new ControllerOptions { Workers = options.Workers, DrainTimeout = options.EffectiveDrainTimeout });
        if (options.LeaderElect)
        {
            var lease = new LeaderElectionOptions
            {
                LeaseNamespace = options.LeaderElectionNamespace,
                LeaseName = options.LeaderElectionId,
                LeaseDuration = options.LeaseDuration,
                RenewDeadline = options.RenewDeadline,
                RetryPeriod = options.RetryPeriod,
            };
            services.AddSingleton(builder.Configuration["POD_NAME"] is { Length: > 0 } pod ? lease with { Identity = pod } : lease);
            services.AddSingleton(sp => new LeaderElection(sp.GetRequiredService<IKubernetes>(), sp.GetRequiredService<LeaderElectionOptions>(),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<LeaderElection>>()));
        }
        services.AddSingleton(sp =>
        {
            // Every declared handler is attached before the manager, and so before any informer, exists.
            sp.GetService<InformerWiring>()?.Apply();
            var manager = new ControllerManager(
                sp.GetServices<ISyncingRunnable>(), sp.GetServices<IRunnable>(), sp.GetService<LeaderElection>(),
                sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<ILogger<ControllerManager>>(),
                new ApiServerWait(sp.GetRequiredService<IKubernetes>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ApiServerWait>>()),
                sp.GetService<Core.Events.IEventRecorder>(), sp.GetServices<ISupportRunnable>(), sp.GetRequiredService<TimeProvider>());
            LeadershipMetrics.Observe(sp.GetRequiredService<IMeterFactory>(), options.LeaderElectionId, () => manager.IsLeader);
            return manager;
        });
        services.AddHostedService(sp => sp.GetRequiredService<ControllerManager>());
        // Drain, then release the Lease (bounded by the renew deadline), with a margin.
        services.Configure<HostOptions>(h => h.ShutdownTimeout = options.EffectiveDrainTimeout + options.RenewDeadline + TimeSpan.FromSeconds(5));

        var otel = services.AddOpenTelemetry().ConfigureResource(r => r.AddService(
            telemetry.ServiceName, serviceVersion: OperatorIdentity.Version, serviceInstanceId: telemetry.InstanceId));
        otel.WithMetrics(m =>
        {
            m.AddMeter(Meters).AddPrometheusExporter();
            ((IDeferredMeterProviderBuilder)m).Configure((sp, metrics) =>
            {
                // AddMeter subscribes by name, process-wide. /metrics shows only the instruments of meters this host's
                // factory created (every one of the operator's): another host in the same process (the tests run
                // several) has meters of the same names, whose values would otherwise add to or replace this one's.
                var own = sp.GetRequiredService<IMeterFactory>();
                metrics.AddView(instrument => ReferenceEquals(instrument.Meter.Scope, own) ? null : MetricStreamConfiguration.Drop);
            });
        });
        if (telemetry.ExportTraces)
        {
            // Spans are made only when someone receives them: without an exporter no listener samples them.
            otel.WithTracing(t => t.AddSource(ActivitySources).AddOtlpExporter());
        }

        compose(builder, options);
        // Last, so it wraps whatever providers the composition added: every logger hands its sinks an exception's safe
        // text (every frame; a message that may carry a secret withheld), whoever logs it.
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp => new RedactingLoggerFactory(new LoggerFactory(
            sp.GetServices<ILoggerProvider>(), sp.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
            sp.GetService<IOptions<LoggerFactoryOptions>>(), sp.GetService<IExternalScopeProvider>()))));

        var app = builder.Build();
        app.MapPrometheusScrapingEndpoint("/metrics");
        // Plain request delegates: the Delegate overloads of MapGet bind parameters by reflection (not in the AOT binary).
        static ControllerManager Manager(HttpContext context) => context.RequestServices.GetRequiredService<ControllerManager>();
        app.MapGet("/healthz", context => (Manager(context).Failure is { } failure
            ? Results.Text($"failed: {failure}", statusCode: StatusCodes.Status500InternalServerError)
            : Results.Text("ok")).ExecuteAsync(context));
        app.MapGet("/readyz", context => (Manager(context).ReadinessReport is { } report
            ? Results.Text(report, statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("ok")).ExecuteAsync(context));
        return app;
    }

    /// <summary>Settings the flags' own checks cannot see alone (they relate two settings, or came from elsewhere).</summary>
    private static void Validate(OperatorOptions options)
    {
        if (options.LeaderElect && options.RenewDeadline >= options.LeaseDuration)
        {
            throw new UsageException($"--leader-election-renew-deadline ({options.RenewDeadline}) must be shorter than --leader-election-lease-duration ({options.LeaseDuration})");
        }
        if (options.Workers < 1)
        {
            throw new UsageException($"invalid setting Workers={options.Workers}: at least 1");
        }
        if (!string.Equals(options.LogFormat, "json", StringComparison.OrdinalIgnoreCase) && !string.Equals(options.LogFormat, "text", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"invalid setting LogFormat={options.LogFormat}: expected json or text");
        }
    }

    /// <summary>The process's OTEL_*, AWS_* variables and POD_NAME: the only environment the host reads besides
    /// INFRA_OPERATOR_*, through the configuration's environment provider.</summary>
    private static Dictionary<string, string?> HostVariables()
    {
        var variables = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in new ConfigurationBuilder().AddEnvironmentVariables().Build().AsEnumerable())
        {
            if (key.StartsWith("OTEL_", StringComparison.Ordinal) || key.StartsWith("AWS_", StringComparison.Ordinal) || key == "POD_NAME")
            {
                variables[key] = value;
            }
        }
        return variables;
    }

    private static void ConfigureLogging(WebApplicationBuilder builder, OperatorOptions options, Telemetry telemetry)
    {
        builder.Logging.ClearProviders();
        // Trace and span ids go into log lines only when the spans they name are exported somewhere.
        builder.Logging.Configure(o => o.ActivityTrackingOptions = telemetry.ExportTraces
            ? ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId
            : ActivityTrackingOptions.None);
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        if (string.Equals(options.LogFormat, "text", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddConsole(o => o.FormatterName = TextLogFormatter.FormatterName);
            // Registered directly: AddConsoleFormatter<,> binds formatter options from configuration by reflection
            // (not in the AOT binary), and this formatter has no options (it always prints scopes).
            builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ConsoleFormatter, TextLogFormatter>());
        }
        else
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // A failed start (a port in use) is reported by the executable in one line, not as a logged stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
    }

    private static KubernetesClientConfiguration LoadKubernetesConfig(OperatorOptions options)
    {
        var config = !string.IsNullOrEmpty(options.Kubeconfig)
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(options.Kubeconfig)
            : KubernetesClientConfiguration.IsInCluster()
                ? KubernetesClientConfiguration.InClusterConfig()
                : KubernetesClientConfiguration.BuildConfigFromConfigFile();
        config.UserAgent = OperatorIdentity.UserAgent;
        return config;
    }
}

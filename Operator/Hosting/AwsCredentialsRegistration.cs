using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Operator.Core.Aws.Credentials;
using Operator.Core.Aws.Http;

namespace Operator.Hosting;

/// <summary>
/// Registers the per-provider HTTP connection pools (<see cref="AwsHttpPools"/>, used by ECS and STS alike), the
/// per-provider credentials cache, the Secret reader, the admin's <see cref="ProviderPolicy"/> (built
/// from the flags, so a malformed pattern stops the operator at startup) and the STS identity check. The process
/// environment and the default credential chain are registered only if absent, so a host (tests) may supply its own.
/// </summary>
internal static class AwsCredentialsRegistration
{
    public static void Register(IServiceCollection services, OperatorOptions options)
    {
        var sts = new StsClientOptions();
        services.AddSingleton(sp => sts with
        {
            Time = sp.GetRequiredService<TimeProvider>(),
            DefaultEndpoint = string.IsNullOrEmpty(options.AwsEndpoint) ? null : options.AwsEndpoint,
            RequestTimeout = options.AwsAttemptTimeout,
            ConnectTimeout = options.AwsAttemptTimeout < sts.ConnectTimeout ? options.AwsAttemptTimeout : sts.ConnectTimeout,
            CallTimeout = options.AwsCallTimeout,
        });
        // One connection pool per provider for ECS and STS alike (no redirects, bounded answers); a replaced pool lives
        // on for the longest call that may still use it.
        services.AddSingleton(new AwsHttpOptions
        {
            MaxResponseBytes = options.AwsMaxResponseBytes,
            ConnectTimeout = options.AwsAttemptTimeout < sts.ConnectTimeout ? options.AwsAttemptTimeout : sts.ConnectTimeout,
            RetireAfter = options.AwsCallTimeout,
        });
        services.AddSingleton(sp => new AwsHttpPools(sp.GetRequiredService<AwsHttpOptions>(), sp.GetRequiredService<TimeProvider>(),
            handler => StsHttpClients.Create(handler, sp.GetRequiredService<Core.Aws.Resilience.AwsResiliencePipelines>().Telemetry,
                options.AwsAttemptTimeout, sp.GetRequiredService<TimeProvider>())));
        services.AddSingleton(sp => new StsClientFactory(sp.GetRequiredService<StsClientOptions>(), sp.GetRequiredService<AwsHttpPools>()));
        services.AddSingleton(ProviderPolicy.FromFlags(
            options.AllowedEndpoints, options.AllowedRoleArns, options.DefaultCredentialsNamespaces, options.AwsEndpoint));
        // The process environment as the host's configuration carries it (the AWS_* variables, under their own names).
        services.TryAddSingleton(sp => AwsEnvironmentOf(sp.GetRequiredService<IConfiguration>()));
        services.TryAddSingleton<DefaultCredentialChain>(DefaultChainCredentials.FromSdk);
        services.AddSingleton<ISecretReader, KubernetesSecretReader>();
        services.AddSingleton<IProviderSessionFactory>(sp => new AwsCredentialsFactory(
            sp.GetRequiredService<ISecretReader>(), sp.GetRequiredService<StsClientFactory>(), sp.GetRequiredService<AwsEnvironment>(),
            sp.GetRequiredService<DefaultCredentialChain>().Invoke, sp.GetRequiredService<ProviderPolicy>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AwsCredentialsFactory>>()));
        services.AddSingleton<IAwsCredentialsCache>(sp => new AwsCredentialsCache(
            sp.GetRequiredService<IProviderSessionFactory>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AwsCredentialsCache>>()));
        services.AddSingleton<IIdentityChecker, IdentityChecker>();
    }

    /// <summary>What the credential sources read of the environment, from the host's configuration (which holds the
    /// process's AWS_* variables under their own names).</summary>
    public static AwsEnvironment AwsEnvironmentOf(IConfiguration configuration) => new(name => configuration[name], File.Exists);
}

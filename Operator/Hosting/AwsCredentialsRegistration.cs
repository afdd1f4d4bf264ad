using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Operator.Core.Aws.Credentials;

namespace Operator.Hosting;

/// <summary>Registers the per-provider credentials cache, the Secret reader and the STS identity check.</summary>
internal static class AwsCredentialsRegistration
{
    public static void Register(IServiceCollection services, OperatorOptions options)
    {
        services.AddSingleton(new StsClientOptions
        {
            DefaultEndpoint = string.IsNullOrEmpty(options.AwsEndpoint) ? null : options.AwsEndpoint,
            RequestTimeout = options.AwsAttemptTimeout,
            ConnectTimeout = options.AwsAttemptTimeout < TimeSpan.FromSeconds(3) ? options.AwsAttemptTimeout : TimeSpan.FromSeconds(3),
            CallTimeout = options.AwsCallTimeout,
        });
        services.AddSingleton<StsClientFactory>();
        services.AddSingleton<ISecretReader, KubernetesSecretReader>();
        services.AddSingleton<IProviderSessionFactory>(sp => new AwsCredentialsFactory(
            sp.GetRequiredService<ISecretReader>(), sp.GetRequiredService<StsClientFactory>(), AwsEnvironment.Process,
            DefaultChainCredentials.FromSdk, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AwsCredentialsFactory>>()));
        services.AddSingleton<IAwsCredentialsCache>(sp => new AwsCredentialsCache(
            sp.GetRequiredService<IProviderSessionFactory>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AwsCredentialsCache>>()));
        services.AddSingleton<IIdentityChecker, IdentityChecker>();
    }
}

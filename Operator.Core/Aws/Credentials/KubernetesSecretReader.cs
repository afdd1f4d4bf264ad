using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;

namespace Operator.Core.Aws.Credentials;

/// <summary><see cref="ISecretReader"/> that GETs the Secret from the API server on every call (no cache).</summary>
internal sealed class KubernetesSecretReader(IKubernetes client) : ISecretReader
{
    public async Task<SecretKeyValue> ReadKeyAsync(string ns, string name, string key, CancellationToken ct)
    {
        k8s.Models.V1Secret secret;
        try
        {
            secret = await client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ProviderCredentialsException(
                ProviderCredentialsReasons.SecretNotFound, $"Secret {ns}/{name} not found");
        }

        // The client model has already base64-decoded Data; StringData is write-only on the server and never returned.
        if (secret.Data is null || !secret.Data.TryGetValue(key, out var bytes) || bytes is null)
        {
            throw new ProviderCredentialsException(
                ProviderCredentialsReasons.SecretKeyNotFound, $"Secret {ns}/{name} has no key \"{key}\"");
        }

        return new SecretKeyValue(Encoding.UTF8.GetString(bytes), secret.Metadata?.ResourceVersion);
    }
}

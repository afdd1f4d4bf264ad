using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using Operator.Core.Kubernetes;

namespace Operator.Core.Aws.Credentials;

/// <summary>
/// <see cref="ISecretReader"/> that GETs the Secret from the API server on every call (no cache). The namespace must
/// be a DNS label and the name a DNS subdomain before either goes into the request path, so no value can address
/// anything but <c>/api/v1/namespaces/{ns}/secrets/{name}</c> (callers validate too; this is the last line).
/// A 401/403 is tried again <see cref="AuthorizationAttempts"/> times a second apart before it is reported as
/// <c>SecretForbidden</c>: an API server that has just started answers them until its authorizer has loaded.
/// </summary>
internal sealed class KubernetesSecretReader(IKubernetes client, TimeProvider? time = null) : ISecretReader
{
    public const int AuthorizationAttempts = 3;

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<SecretKeyValue> ReadKeyAsync(string ns, string name, string key, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ReadOnceAsync(ns, name, key, ct).ConfigureAwait(false);
            }
            catch (ProviderCredentialsException e) when (e.Reason == ProviderCredentialsReasons.SecretForbidden && attempt < AuthorizationAttempts)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _time, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task<SecretKeyValue> ReadOnceAsync(string ns, string name, string key, CancellationToken ct)
    {
        if (!ObjectNames.IsDnsLabel(ns) || !ObjectNames.IsDnsSubdomain(name) || !ObjectNames.IsDataKey(key))
        {
            throw new ProviderCredentialsException(ProviderCredentialsReasons.InvalidSpec,
                "refusing to read a Secret whose namespace, name or key is not a valid Kubernetes name " +
                "(a DNS-1123 label, a DNS-1123 subdomain, a data key)");
        }

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
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw new ProviderCredentialsException(ProviderCredentialsReasons.SecretForbidden,
                $"the operator may not read Secret {ns}/{name} (HTTP {(int)e.Response.StatusCode}): its RBAC must allow " +
                $"get on secrets in namespace {ns} (the ClusterRole infra-operator-manager-role, or a Role there)", e);
        }
        // 429 and 5xx are the apiserver's own trouble: they propagate, so the caller backs off and retries soon.
        catch (HttpOperationException e) when (!ApiErrors.IsTransientStatus(e.Response.StatusCode))
        {
            throw new ProviderCredentialsException(ProviderCredentialsReasons.SecretUnreadable,
                $"reading Secret {ns}/{name} failed with HTTP {(int)e.Response.StatusCode}", e);
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

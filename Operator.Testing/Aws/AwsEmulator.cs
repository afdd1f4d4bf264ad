using System.Net;
using System.Security.Cryptography;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Operator.Core.Aws.Ecs;
using Operator.Core.Aws.Ecs.Model;
using Operator.Core.Aws.Resilience;
using Operator.Testing.Http;

namespace Operator.Testing.Aws;

/// <summary>
/// An in-process AWS endpoint for ECS and STS on 127.0.0.1 (random port), speaking the real wire protocols:
/// ECS JSON 1.1 (chosen by <c>X-Amz-Target</c>) and STS's query protocol with XML answers (<c>Action=</c>
/// GetCallerIdentity, AssumeRole, AssumeRoleWithWebIdentity), so both the operator's ECS client and
/// AWSSDK.SecurityToken (with ServiceURL set to <see cref="Endpoint"/>) work against it. Every request is
/// SigV4-verified against <see cref="Credentials"/> (the account and region come from the access key and the
/// credential scope), throttled per account when <see cref="AwsEmulatorOptions.AccountThrottle"/> is set, subject
/// to <see cref="Faults"/>, and recorded in <see cref="Calls"/>. ECS semantics live in <see cref="Ecs"/>.
/// </summary>
internal sealed class AwsEmulator : IAsyncDisposable
{
    private const string EcsTargetPrefix = "AmazonEC2ContainerServiceV20141113.";
    private const string StsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/";
    private const string DefaultRegion = "us-east-1";

    private LoopbackHttpServer _server = null!;
    private readonly Dictionary<string, AwsTokenBucket> _throttles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<string, string, byte[], EcsResponse>> _ecsOperations;

    private AwsEmulator(AwsEmulatorOptions options)
    {
        Options = options;
        Ecs = new EcsEmulatorBackend(options);
        _ecsOperations = new(StringComparer.Ordinal)
        {
            ["CreateCluster"] = (a, r, b) => Ecs.CreateCluster(a, r, Parse<CreateClusterRequest>(b)),
            ["DescribeClusters"] = (a, r, b) => Ecs.DescribeClusters(a, r, Parse<DescribeClustersRequest>(b)),
            ["UpdateCluster"] = (a, r, b) => Ecs.UpdateCluster(a, r, Parse<UpdateClusterRequest>(b)),
            ["UpdateClusterSettings"] = (a, r, b) => Ecs.UpdateClusterSettings(a, r, Parse<UpdateClusterSettingsRequest>(b)),
            ["PutClusterCapacityProviders"] = (a, r, b) => Ecs.PutClusterCapacityProviders(a, r, Parse<PutClusterCapacityProvidersRequest>(b)),
            ["TagResource"] = (a, r, b) => Ecs.TagResource(a, r, Parse<TagResourceRequest>(b)),
            ["UntagResource"] = (a, r, b) => Ecs.UntagResource(a, r, Parse<UntagResourceRequest>(b)),
            ["ListTagsForResource"] = (a, r, b) => Ecs.ListTagsForResource(a, r, Parse<ListTagsForResourceRequest>(b)),
            ["DeleteCluster"] = (a, r, b) => Ecs.DeleteCluster(a, r, Parse<DeleteClusterRequest>(b)),
            ["DescribeCapacityProviders"] = (a, r, b) => Ecs.DescribeCapacityProviders(a, r, Parse<DescribeCapacityProvidersRequest>(b)),
            ["ListServices"] = (a, r, b) => Ecs.ListServices(a, r, Parse<ListServicesRequest>(b)),
            ["ListTasks"] = (a, r, b) => Ecs.ListTasks(a, r, Parse<ListTasksRequest>(b)),
            ["ListContainerInstances"] = (a, r, b) => Ecs.ListContainerInstances(a, r, Parse<ListContainerInstancesRequest>(b)),
            ["ListClusters"] = (a, r, b) => Ecs.ListClusters(a, r, Parse<ListClustersRequest>(b)),
            ["CreateCapacityProvider"] = (a, r, b) => Ecs.CreateCapacityProvider(a, r, Parse<CreateCapacityProviderRequest>(b)),
            ["CreateService"] = (a, r, b) => Ecs.CreateService(a, r, Parse<CreateServiceRequest>(b)),
            ["DeleteService"] = (a, r, b) => Ecs.DeleteService(a, r, Parse<DeleteServiceRequest>(b)),
            ["RunTask"] = (a, r, b) => Ecs.RunTask(a, r, Parse<RunTaskRequest>(b)),
            ["StopTask"] = (a, r, b) => Ecs.StopTask(a, r, Parse<StopTaskRequest>(b)),
            ["RegisterContainerInstance"] = (a, r, b) => Ecs.RegisterContainerInstance(a, r, Parse<RegisterContainerInstanceRequest>(b)),
            ["DeregisterContainerInstance"] = (a, r, b) => Ecs.DeregisterContainerInstance(a, r, Parse<DeregisterContainerInstanceRequest>(b)),
            ["DescribeTasks"] = (a, r, b) => Ecs.DescribeTasks(a, r, Parse<DescribeTasksRequest>(b)),
            ["DescribeServices"] = (a, r, b) => Ecs.DescribeServices(a, r, Parse<DescribeServicesRequest>(b)),
            ["DescribeContainerInstances"] = (a, r, b) => Ecs.DescribeContainerInstances(a, r, Parse<DescribeContainerInstancesRequest>(b)),
        };
    }

    public AwsEmulatorOptions Options { get; }
    public Uri Endpoint => _server.Url;
    public AwsCredentialStore Credentials { get; } = new();
    public AwsEmulatorFaults Faults { get; } = new();
    public AwsEmulatorCallLog Calls { get; } = new();
    public EcsEmulatorBackend Ecs { get; }

    /// <summary>Every request as text (method, target, headers, body) when <see cref="AwsEmulatorOptions.RecordRequests"/> is on.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> RecordedRequests { get; } = new();

    /// <summary>
    /// While true, <see cref="AwsEmulatorOptions.AccountThrottle"/> is not applied (benchmarks switch it off for a
    /// baseline that must not be shaped by throttling, and back on). Thread-safe.
    /// </summary>
    public bool ThrottleSuspended
    {
        get => Volatile.Read(ref _throttleSuspended);
        set => Volatile.Write(ref _throttleSuspended, value);
    }

    private bool _throttleSuspended;

    public static async Task<AwsEmulator> StartAsync(AwsEmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        var emulator = new AwsEmulator(options ?? new AwsEmulatorOptions());
        emulator._server = await LoopbackHttpServer.StartAsync(emulator.HandleAsync, options?.Port ?? 0, cancellationToken: cancellationToken).ConfigureAwait(false);
        return emulator;
    }

    /// <summary>Forgets all ECS state, faults, throttling state and the call log (credentials are kept).</summary>
    public void Reset()
    {
        Ecs.Reset();
        Faults.Clear();
        Calls.Clear();
        lock (_throttles)
        {
            foreach (var bucket in _throttles.Values)
            {
                bucket.Dispose();
            }

            _throttles.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync().ConfigureAwait(false);
        foreach (var bucket in _throttles.Values)
        {
            bucket.Dispose();
        }
    }

    private static T Parse<T>(byte[] body)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(body.Length == 0 ? "{}"u8 : body, EmulatorEcsJson.Options)
                ?? throw new AwsEmulatorError("SerializationException", "Empty request body.");
        }
        catch (JsonException e)
        {
            throw new AwsEmulatorError("SerializationException", $"Cannot deserialize the request: {e.Message}");
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (Faults.RefuseConnections)
        {
            context.Abort();
            return;
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        var body = buffer.ToArray();
        var request = new SigV4Request(
            context.Request.Method,
            context.Features.Get<IHttpRequestFeature>()?.RawTarget?.Split('?')[0] ?? context.Request.Path.Value ?? "/",
            context.Request.QueryString.Value ?? "",
            context.Request.Headers.SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v ?? ""))).ToList(),
            body);
        if (Options.RecordRequests)
        {
            RecordedRequests.Enqueue($"{request.Method} {context.Request.Path}{request.RawQuery}\n" +
                string.Join("\n", request.Headers.Select(h => $"{h.Key}: {h.Value}")) + "\n\n" + Encoding.UTF8.GetString(body));
        }

        var target = context.Request.Headers["X-Amz-Target"].ToString();
        if (!string.IsNullOrEmpty(target))
        {
            await HandleEcsAsync(context, request, target).ConfigureAwait(false);
        }
        else
        {
            await HandleStsAsync(context, request).ConfigureAwait(false);
        }
    }

    private async Task HandleEcsAsync(HttpContext context, SigV4Request request, string target)
    {
        var operation = target.StartsWith(EcsTargetPrefix, StringComparison.Ordinal) ? target[EcsTargetPrefix.Length..] : target;
        string? account = null, accessKey = null;
        try
        {
            await DelayAsync(operation, context.RequestAborted).ConfigureAwait(false);
            var (identity, region) = Authenticate(request, "ecs", sts: false);
            account = identity.AccountId;
            accessKey = identity.AccessKeyId;
            if (!_ecsOperations.TryGetValue(operation, out var handler))
            {
                throw new AwsEmulatorError("UnknownOperationException", $"Unknown operation {target}.");
            }

            if (Credentials.IsDenied(accessKey, "ecs:" + operation))
            {
                throw new AwsEmulatorError("AccessDeniedException",
                    $"User: {identity.Arn} is not authorized to perform: ecs:{operation} on resource: * because no identity-based policy allows the ecs:{operation} action");
            }

            Throttle(account);
            ThrowIfFault(operation, afterExecution: false);
            var response = handler(account, region, request.Body);
            ThrowIfFault(operation, afterExecution: true);
            Log(operation, "ecs", account, accessKey, 200, null);
            await WriteEcsAsync(context, 200, JsonSerializer.SerializeToUtf8Bytes(response, response.GetType(), EmulatorEcsJson.Options)).ConfigureAwait(false);
        }
        catch (AwsEmulatorError error)
        {
            Log(operation, "ecs", account, accessKey, error.StatusCode, error.Code);
            var payload = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
            {
                ["__type"] = "com.amazonaws.ecs#" + error.Code,
                ["message"] = error.Message,
            });
            await WriteEcsAsync(context, error.StatusCode, payload).ConfigureAwait(false);
        }
    }

    private async Task HandleStsAsync(HttpContext context, SigV4Request request)
    {
        var form = ParseForm(Encoding.UTF8.GetString(request.Body), request.RawQuery);
        var action = form.GetValueOrDefault("Action") ?? "";
        string? account = null, accessKey = null;
        try
        {
            await DelayAsync(action, context.RequestAborted).ConfigureAwait(false);
            XElement result;
            if (action == "AssumeRoleWithWebIdentity")
            {
                ThrowIfFault(action, afterExecution: false);
                result = AssumeRole(form, webIdentity: true, out account);
            }
            else
            {
                var (identity, _) = Authenticate(request, "sts", sts: true);
                account = identity.AccountId;
                accessKey = identity.AccessKeyId;
                ThrowIfFault(action, afterExecution: false);
                result = action switch
                {
                    "GetCallerIdentity" => new XElement(X("GetCallerIdentityResult"),
                        new XElement(X("Arn"), identity.Arn), new XElement(X("UserId"), identity.UserId), new XElement(X("Account"), identity.AccountId)),
                    "AssumeRole" => AssumeRole(form, webIdentity: false, out _),
                    _ => throw new AwsEmulatorError("InvalidAction", $"Could not find operation {action} for version 2011-06-15.", 400),
                };
            }

            Log(action, "sts", account, accessKey, 200, null);
            var document = new XElement(X(action + "Response"), result,
                new XElement(X("ResponseMetadata"), new XElement(X("RequestId"), Guid.NewGuid().ToString())));
            await WriteXmlAsync(context, 200, document).ConfigureAwait(false);
        }
        catch (AwsEmulatorError error)
        {
            Log(action, "sts", account, accessKey, error.StatusCode, error.Code);
            var document = new XElement(X("ErrorResponse"),
                new XElement(X("Error"), new XElement(X("Type"), error.StatusCode >= 500 ? "Receiver" : "Sender"),
                    new XElement(X("Code"), error.Code), new XElement(X("Message"), error.Message)),
                new XElement(X("RequestId"), Guid.NewGuid().ToString()));
            await WriteXmlAsync(context, error.StatusCode, document).ConfigureAwait(false);
        }
    }

    private XElement AssumeRole(Dictionary<string, string> form, bool webIdentity, out string account)
    {
        var roleArn = form.GetValueOrDefault("RoleArn") ?? throw new AwsEmulatorError("ValidationError", "RoleArn is required.");
        var session = form.GetValueOrDefault("RoleSessionName") ?? throw new AwsEmulatorError("ValidationError", "RoleSessionName is required.");
        var parts = roleArn.Split(':');
        if (parts.Length < 6 || parts[2] != "iam" || !parts[5].StartsWith("role/", StringComparison.Ordinal))
        {
            throw new AwsEmulatorError("ValidationError", $"{roleArn} is invalid");
        }

        if (webIdentity && string.IsNullOrWhiteSpace(form.GetValueOrDefault("WebIdentityToken")))
        {
            throw new AwsEmulatorError("InvalidIdentityToken", "The web identity token is missing or invalid.");
        }

        account = parts[4];
        var roleName = parts[5]["role/".Length..].Split('/').Last();
        var assumedArn = $"arn:aws:sts::{account}:assumed-role/{roleName}/{session}";
        var identity = Credentials.Add(new AwsIdentity("ASIA" + RandomString(16), RandomString(40), account, assumedArn, RandomString(64)));
        var expiration = Options.TimeProvider.GetUtcNow() + Options.IssuedCredentialsLifetime;
        var result = new XElement(X(webIdentity ? "AssumeRoleWithWebIdentityResult" : "AssumeRoleResult"),
            new XElement(X("Credentials"),
                new XElement(X("AccessKeyId"), identity.AccessKeyId),
                new XElement(X("SecretAccessKey"), identity.SecretAccessKey),
                new XElement(X("SessionToken"), identity.SessionToken),
                new XElement(X("Expiration"), expiration.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture))),
            new XElement(X("AssumedRoleUser"),
                new XElement(X("AssumedRoleId"), $"AROA{RandomString(16)}:{session}"),
                new XElement(X("Arn"), assumedArn)));
        if (webIdentity)
        {
            result.Add(new XElement(X("SubjectFromWebIdentityToken"), "system:serviceaccount:emulator:emulator"),
                new XElement(X("Audience"), "sts.amazonaws.com"), new XElement(X("Provider"), "emulator"));
        }
        else
        {
            result.Add(new XElement(X("PackedPolicySize"), 0));
        }

        return result;
    }

    private (AwsIdentity Identity, string Region) Authenticate(SigV4Request request, string service, bool sts)
    {
        var authorization = SigV4Authorization.Parse(request.Header("Authorization"));
        var found = authorization is null ? null : Credentials.Find(authorization.AccessKeyId);
        if (!Options.VerifySignatures)
        {
            var fallback = found ?? Credentials.Find(AwsCredentialStore.DefaultAccessKeyId)
                ?? new AwsIdentity("anonymous", "", AwsCredentialStore.DefaultAccountId, $"arn:aws:iam::{AwsCredentialStore.DefaultAccountId}:root");
            return (fallback, authorization?.Region ?? DefaultRegion);
        }

        if (authorization is null)
        {
            throw sts
                ? new AwsEmulatorError("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
                : new AwsEmulatorError("MissingAuthenticationTokenException", "Missing Authentication Token", 403);
        }

        var invalidToken = sts
            ? new AwsEmulatorError("InvalidClientTokenId", "The security token included in the request is invalid.", 403)
            : new AwsEmulatorError("UnrecognizedClientException", "The security token included in the request is invalid.", 400);
        if (found is null)
        {
            throw invalidToken;
        }

        var token = request.Header("X-Amz-Security-Token");
        if (found.SessionToken is not null && token != found.SessionToken)
        {
            throw invalidToken;
        }

        AwsEmulatorError BadSignature(string message) => sts
            ? new AwsEmulatorError("SignatureDoesNotMatch", message, 403)
            : new AwsEmulatorError("InvalidSignatureException", message, 403);

        if (authorization.Service != service)
        {
            throw BadSignature($"Credential should be scoped to correct service: '{service}'.");
        }

        if (!SigV4Verifier.TryGetSigningTime(request, out var signedAt) || authorization.Date != signedAt.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture))
        {
            throw BadSignature("The request must carry an X-Amz-Date matching the credential scope date.");
        }

        var now = Options.TimeProvider.GetUtcNow().UtcDateTime;
        if (Options.MaxClockSkew is { } skew && (now - signedAt).Duration() > skew)
        {
            throw BadSignature($"Signature expired: {signedAt:yyyyMMdd'T'HHmmss'Z'} is now earlier than {(now - skew):yyyyMMdd'T'HHmmss'Z'}.");
        }

        if (!authorization.SignedHeaders.Contains("host") || !SigV4Verifier.SignatureMatches(request, authorization, found.SecretAccessKey, signedAt))
        {
            throw BadSignature("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
        }

        return (found, authorization.Region);
    }

    private void Throttle(string account)
    {
        if (Options.AccountThrottle is not { } throttle || ThrottleSuspended)
        {
            return;
        }

        AwsTokenBucket bucket;
        lock (_throttles)
        {
            if (!_throttles.TryGetValue(account, out bucket!))
            {
                _throttles[account] = bucket = new AwsTokenBucket(throttle, Options.TimeProvider);
            }
        }

        using var lease = bucket.AttemptAcquire();
        if (!lease.IsAcquired)
        {
            throw new AwsEmulatorError("ThrottlingException", "Rate exceeded");
        }
    }

    private void ThrowIfFault(string operation, bool afterExecution)
    {
        if (Faults.Take(operation, afterExecution) is { } fault)
        {
            throw new AwsEmulatorError(fault.ErrorCode, fault.Message, fault.StatusCode);
        }
    }

    private async Task DelayAsync(string operation, CancellationToken cancellationToken)
    {
        var latency = Faults.LatencyFor(operation);
        if (latency > TimeSpan.Zero)
        {
            await Task.Delay(latency, Options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        await Faults.WaitIfHeldAsync(operation, cancellationToken).ConfigureAwait(false);
    }

    private void Log(string operation, string service, string? account, string? accessKey, int status, string? errorCode) =>
        Calls.Add(new AwsEmulatorCall(Options.TimeProvider.GetUtcNow(), service, operation, account, accessKey, status, errorCode));

    private static async Task WriteEcsAsync(HttpContext context, int status, byte[] payload)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/x-amz-json-1.1";
        context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        await context.Response.Body.WriteAsync(payload, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteXmlAsync(HttpContext context, int status, XElement document)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/xml";
        await context.Response.WriteAsync(document.ToString(SaveOptions.DisableFormatting), context.RequestAborted).ConfigureAwait(false);
    }

    private static Dictionary<string, string> ParseForm(string body, string query)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in new[] { query.TrimStart('?'), body })
        {
            foreach (var pair in source.Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=');
                var key = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
                var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
                result[key] = value;
            }
        }

        return result;
    }

    private static XName X(string name) => XName.Get(name, StsNamespace);

    private static string RandomString(int length) =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", length);
}

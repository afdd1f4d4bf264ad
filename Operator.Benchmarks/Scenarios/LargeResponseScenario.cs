using System.Net;
using Microsoft.AspNetCore.Http;
using Operator.Testing.Http;

namespace Operator.Benchmarks.Scenarios;

/// <summary>
/// What a tenant's endpoint answering huge bodies costs the operator's memory: an AWSProvider whose
/// <c>spec.endpoint</c> answers STS normally and every ECS call with a body of <c>--response-mb</c> MB (chunked, so its
/// size is not announced), and <see cref="Clusters"/> ECSClusters on it that keep retrying. The operator runs as a child
/// process (<c>Operator.dll run</c>, as <see cref="OperatorProcessRss"/>), once with the product's
/// <c>--aws-max-response-bytes</c> (4 MiB) and once with a cap above the body (the operator then reads every body
/// whole, as it did before the cap). For each, the child's RSS is read from /proc when its provider is Ready, and its
/// peak (VmHWM) once the endpoint has sent <see cref="Answers"/> huge answers.
/// </summary>
internal static class LargeResponseScenario
{
    private const int Clusters = 8;
    private const int Answers = 40;

    public static async Task<int> RunAsync(ScenarioOptions o, ResultTable results)
    {
        await using var stack = await ScenarioStack.StartAsync(new AwsEmulatorOptions());
        await using var huge = await HugeEndpoint.StartAsync(o.ResponseMegabytes * 1024L * 1024);
        await CreateProviderAsync(stack, huge.Endpoint);
        for (var i = 0; i < Clusters; i++)
        {
            var cluster = ScenarioStack.NewCluster($"huge-{i}", asApplied: false);
            cluster.Spec.ProviderRef.Name = "huge";
            await stack.Client.CustomObjects.CreateNamespacedCustomObjectAsync(cluster, ApiGroup.Group, ApiGroup.Version, ScenarioStack.Namespace, ECSCluster.PluralName);
        }
        var kubeconfig = await OperatorProcessRss.WriteKubeconfigAsync(stack);
        var ok = true;
        try
        {
            foreach (var (label, cap) in new[] { ("cap 4 MiB (default)", (long?)null), ("cap above the body (reads it whole)", (o.ResponseMegabytes + 64) * 1024L * 1024) })
            {
                ok &= await MeasureAsync(stack, huge, o, kubeconfig, label, cap, results);
            }
        }
        finally
        {
            File.Delete(kubeconfig);
        }
        return ok ? 0 : 1;
    }

    private static async Task<bool> MeasureAsync(ScenarioStack stack, HugeEndpoint huge, ScenarioOptions o, string kubeconfig, string label, long? cap,
        ResultTable results)
    {
        var settings = new Dictionary<string, string?>(o.Settings) { ["AllowedEndpoints"] = $"127.0.0.1:{huge.Endpoint.Port}" };
        if (cap is { } bytes)
        {
            settings["AwsMaxResponseBytes"] = bytes.ToString(CultureInfo.InvariantCulture);
        }
        using var child = OperatorProcessRss.StartChild(stack, o with { Settings = settings }, kubeconfig, OperatorVariant.Default, out var output);
        var watch = Stopwatch.StartNew();
        try
        {
            // The provider's check of this child (its status was written by an earlier child, so wait for the answers).
            var stsBefore = huge.StsAnswers;
            while (huge.StsAnswers == stsBefore && watch.Elapsed < o.Timeout && !child.HasExited)
            {
                await Task.Delay(250);
            }
            var atReady = OperatorProcessRss.Proc(child.Id, "VmRSS:");
            var first = huge.LargeAnswers;
            while (huge.LargeAnswers - first < Answers && watch.Elapsed < o.Timeout && !child.HasExited)
            {
                await Task.Delay(250);
            }
            if (child.HasExited)
            {
                Console.Error.WriteLine($"the operator exited with {child.ExitCode}:\n{string.Join('\n', output)}");
                return false;
            }
            var peak = OperatorProcessRss.Proc(child.Id, "VmHWM:");
            var now = OperatorProcessRss.Proc(child.Id, "VmRSS:");
            var served = huge.LargeAnswers - first;
            results.Add("large-response", $"{label}: RSS with the provider Ready", OperatorProcessRss.Mb(atReady));
            results.Add("large-response", $"{label}: peak / now after {served} answers of {o.ResponseMegabytes} MB",
                $"{OperatorProcessRss.Mb(peak)} / {OperatorProcessRss.Mb(now)} (growth of the peak: {OperatorProcessRss.Mb(peak - atReady)})",
                cap is null ? "growth ≤ a few × 4 MiB" : "");
            results.Add("large-response", $"{label}: bytes the endpoint managed to send", $"{huge.BytesSent / (1024.0 * 1024):N0} MB");
            return served >= Answers;
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
                await child.WaitForExitAsync();
            }
            huge.ResetCounters();
        }
    }

    private static async Task CreateProviderAsync(ScenarioStack stack, Uri endpoint)
    {
        var provider = new JsonObject
        {
            ["apiVersion"] = ApiGroup.ApiVersion,
            ["kind"] = AWSProvider.KindName,
            ["metadata"] = new JsonObject { ["name"] = "huge", ["namespace"] = ScenarioStack.Namespace },
            ["spec"] = new JsonObject
            {
                ["region"] = ScenarioStack.Region,
                ["endpoint"] = endpoint.ToString(),
                ["accessKeyIDRef"] = new JsonObject { ["name"] = "p-credentials", ["key"] = "access-key-id" },
                ["secretAccessKeyRef"] = new JsonObject { ["name"] = "p-credentials", ["key"] = "secret-access-key" },
            },
        };
        await stack.Client.CustomObjects.CreateNamespacedCustomObjectAsync(provider, ApiGroup.Group, ApiGroup.Version, ScenarioStack.Namespace, AWSProvider.PluralName);
    }

    /// <summary>STS answers GetCallerIdentity; every ECS call gets a chunked JSON body of the given size.</summary>
    private sealed class HugeEndpoint : IAsyncDisposable
    {
        private LoopbackHttpServer _server = null!;
        private readonly long _size;
        private int _sts;
        private int _large;
        private long _sent;

        private HugeEndpoint(long size) => _size = size;

        public Uri Endpoint => _server.Url;
        public int StsAnswers => Volatile.Read(ref _sts);
        public int LargeAnswers => Volatile.Read(ref _large);
        public long BytesSent => Interlocked.Read(ref _sent);

        public static async Task<HugeEndpoint> StartAsync(long size)
        {
            var endpoint = new HugeEndpoint(size);
            endpoint._server = await LoopbackHttpServer.StartAsync(endpoint.HandleAsync);
            return endpoint;
        }

        public void ResetCounters()
        {
            Interlocked.Exchange(ref _large, 0);
            Interlocked.Exchange(ref _sent, 0);
        }

        public ValueTask DisposeAsync() => _server.DisposeAsync();

        private async Task HandleAsync(HttpContext context)
        {
            if (!context.Request.Headers.ContainsKey("X-Amz-Target"))
            {
                Interlocked.Increment(ref _sts);
                context.Response.ContentType = "text/xml";
                await context.Response.WriteAsync($"""
                    <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>
                    <Arn>arn:aws:iam::{ScenarioStack.Account}:user/bench</Arn><UserId>AIDABENCH</UserId><Account>{ScenarioStack.Account}</Account>
                    </GetCallerIdentityResult><ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></GetCallerIdentityResponse>
                    """);
                return;
            }
            Interlocked.Increment(ref _large);
            context.Response.ContentType = "application/x-amz-json-1.1";
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)' ');
            chunk[0] = (byte)'{';
            try
            {
                for (var written = 0L; written < _size - 1; written += chunk.Length)
                {
                    var n = (int)Math.Min(chunk.Length, _size - 1 - written);
                    await context.Response.Body.WriteAsync(chunk.AsMemory(0, n), context.RequestAborted);
                    Interlocked.Add(ref _sent, n);
                    chunk[0] = (byte)' ';
                }
                await context.Response.Body.WriteAsync("}"u8.ToArray(), context.RequestAborted);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // The operator stopped reading.
            }
        }
    }
}

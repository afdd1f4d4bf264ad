using Operator.Core.Aws;
using Operator.Core.Aws.Ecs.Model;
using Operator.Core.Aws.Resilience;
using Polly.Timeout;

namespace Operator.Tests.Aws;

/// <summary>
/// The resilience decorator against the emulator's fault injection: what is retried (throttling, 5xx, transport,
/// attempt timeouts) and what is not (client errors), that retried creates do not duplicate clusters, and that the
/// per-account token bucket is shared by concurrent callers. Call counts come from the emulator's log; delays are
/// configured to milliseconds, and nothing asserts on wall-clock time.
/// </summary>
public sealed class EcsResilienceTests
{
    private const string Account = AwsCredentialStore.DefaultAccountId;
    private const string Region = EcsBackend.Region;

    private static readonly AwsResilienceOptions FastRetries = new()
    {
        MaxRetryAttempts = 5,
        BaseDelay = TimeSpan.FromMilliseconds(1),
        MaxDelay = TimeSpan.FromMilliseconds(5),
        AttemptTimeout = TimeSpan.FromSeconds(10),
    };

    private EcsBackend _backend = null!;
    private AwsEmulator _emulator = null!;
    private TestMeterFactory _meters = null!;
    private AwsMetricsRecorder _metrics = null!;
    private readonly List<IDisposable> _disposables = [];

    [SetUp]
    public async Task Start()
    {
        _backend = await EcsBackend.StartAsync(EcsBackend.Emulator);
        _emulator = _backend.AwsEmulator!;
        _meters = new TestMeterFactory();
        _metrics = new AwsMetricsRecorder(_meters);
    }

    [TearDown]
    public async Task Stop()
    {
        _metrics.Dispose();
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        _disposables.Clear();
        _meters.Dispose();
        await _backend.DisposeAsync();
    }

    private AwsResiliencePipelines Pipelines(AwsResilienceOptions options)
    {
        var pipelines = new AwsResiliencePipelines(options, _meters);
        _disposables.Add(pipelines);
        return pipelines;
    }

    private IEcsClient Resilient(AwsResilienceOptions? options = null, AwsResiliencePipelines? shared = null) =>
        new ResilientEcsClient(_backend.CreateClient(), shared ?? Pipelines(options ?? FastRetries), Account, Region);

    [Test]
    public async Task A_throttling_burst_is_retried_and_the_create_succeeds_once()
    {
        // The listener hears every AWS call span of this process (other fixtures run beside this one): only the spans
        // under this test's own root (the ambient activity the call below starts under) are kept.
        var activities = new ConcurrentQueue<Activity>();
        using var root = new Activity("throttling-burst-test").Start();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == AwsApiTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.TraceId == root.TraceId)
                {
                    activities.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        _emulator.Faults.FailNext("CreateCluster", 3, "ThrottlingException", 400, "Rate exceeded");

        var created = await Resilient().CreateClusterAsync(new CreateClusterRequest { ClusterName = "burst" });

        created.Cluster!.Status.Should().Be(ClusterStatus.Active);
        _emulator.Calls.Count("CreateCluster").Should().Be(4);
        _emulator.Calls.Count("CreateCluster", "ThrottlingException").Should().Be(3);
        _emulator.Ecs.ClusterCount(Account, Region).Should().Be(1);
        _metrics.Sum("aws_api_throttles_total", ("service", "ecs"), ("operation", "CreateCluster")).Should().Be(3);
        _metrics.Sum("aws_api_requests_total", ("operation", "CreateCluster"), ("outcome", "throttled")).Should().Be(3);
        _metrics.Sum("aws_api_requests_total", ("operation", "CreateCluster"), ("outcome", "success")).Should().Be(1);
        _metrics.Count("aws_api_request_duration_seconds", ("service", "ecs"), ("operation", "CreateCluster")).Should().Be(4);
        var activity = activities.Where(a => a.OperationName == "ecs.CreateCluster").Should().ContainSingle().Subject;
        activity.GetTagItem("aws.attempts").Should().Be(4);
        activity.GetTagItem("aws.service").Should().Be("ecs");
        activity.GetTagItem("aws.operation").Should().Be("CreateCluster");
        activity.Status.Should().Be(ActivityStatusCode.Ok);
    }

    [Test]
    public async Task Lost_5xx_responses_after_the_create_took_effect_are_retried_without_a_duplicate_cluster()
    {
        _emulator.Faults.FailNext("CreateCluster", 2, "ServerException", 500, "Internal failure", afterExecution: true);

        var created = await Resilient().CreateClusterAsync(new CreateClusterRequest { ClusterName = "once", Tags = [new Tag("a", "1")] });

        created.Cluster!.ClusterName.Should().Be("once");
        _emulator.Calls.Count("CreateCluster").Should().Be(3);
        _emulator.Ecs.ClusterCount(Account, Region, includeInactive: true).Should().Be(1);
    }

    [TestCase(500, "InternalFailure")]
    [TestCase(503, "ServiceUnavailableException")]
    [TestCase(502, "BadGateway")]
    public async Task A_5xx_burst_is_retried(int status, string code)
    {
        _emulator.Faults.FailNext("DescribeClusters", 3, code, status);

        var response = await Resilient().DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["x"] });

        response.Failures.Should().ContainSingle();
        _emulator.Calls.Count("DescribeClusters").Should().Be(4);
        _metrics.Sum("aws_api_requests_total", ("operation", "DescribeClusters"), ("outcome", "server_error")).Should().Be(3);
    }

    [TestCase("InvalidParameterException", 400, typeof(InvalidParameterException))]
    [TestCase("ClusterNotFoundException", 400, typeof(ClusterNotFoundException))]
    [TestCase("AccessDeniedException", 400, typeof(AccessDeniedException))]
    [TestCase("ClientException", 400, typeof(ClientException))]
    [TestCase("UpdateInProgressException", 400, typeof(UpdateInProgressException))]
    [TestCase("LimitExceededException", 400, typeof(LimitExceededException))]
    [TestCase("ResourceInUseException", 400, typeof(ResourceInUseException))]
    [TestCase("ResourceNotFoundException", 400, typeof(ResourceNotFoundException))]
    [TestCase("ClusterContainsServicesException", 400, typeof(ClusterContainsServicesException))]
    [TestCase("SomethingNew", 400, typeof(UnknownEcsException))]
    public async Task Client_errors_are_not_retried(string code, int status, Type expected)
    {
        _emulator.Faults.FailNext("UpdateCluster", 10, code, status);

        var call = () => Resilient().UpdateClusterAsync(new UpdateClusterRequest { Cluster = "c", Settings = [new ClusterSetting("containerInsights", "enabled")] });

        var error = (await call.Should().ThrowAsync<EcsException>()).Which;
        error.Should().BeOfType(expected);
        error.ErrorCode.Should().Be(code);
        error.Retryable.Should().BeFalse();
        _emulator.Calls.Count("UpdateCluster").Should().Be(1);
        _metrics.Sum("aws_api_requests_total", ("operation", "UpdateCluster"), ("outcome", "client_error")).Should().Be(1);
    }

    [Test]
    public async Task Real_validation_errors_and_missing_clusters_are_not_retried()
    {
        var ecs = Resilient();

        var invalid = () => ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "no spaces allowed" });
        var missing = () => ecs.DeleteClusterAsync(new DeleteClusterRequest { Cluster = "absent" });

        await invalid.Should().ThrowAsync<InvalidParameterException>();
        await missing.Should().ThrowAsync<ClusterNotFoundException>();
        _emulator.Calls.Count("CreateCluster").Should().Be(1);
        _emulator.Calls.Count("DeleteCluster").Should().Be(1);
    }

    [Test]
    public async Task Retries_stop_after_the_configured_attempts()
    {
        _emulator.Faults.FailNext("DescribeClusters", 10, "ThrottlingException", 400, "Rate exceeded");

        var call = () => Resilient(FastRetries with { MaxRetryAttempts = 2 }).DescribeClustersAsync(new DescribeClustersRequest());

        await call.Should().ThrowAsync<ThrottlingException>();
        _emulator.Calls.Count("DescribeClusters").Should().Be(3);
    }

    [Test]
    public async Task Transport_failures_are_retried()
    {
        _emulator.Faults.RefuseConnections = true;

        var call = () => Resilient(FastRetries with { MaxRetryAttempts = 2 }).DescribeClustersAsync(new DescribeClustersRequest());

        await call.Should().ThrowAsync<HttpRequestException>();
        _metrics.Sum("aws_api_requests_total", ("operation", "DescribeClusters"), ("outcome", "transport_error")).Should().Be(3);
    }

    [Test]
    public async Task A_hung_attempt_times_out_and_is_retried()
    {
        _emulator.Faults.SetLatency("DescribeClusters", TimeSpan.FromMinutes(5));

        var call = () => Resilient(FastRetries with { MaxRetryAttempts = 1, AttemptTimeout = TimeSpan.FromMilliseconds(200) }).DescribeClustersAsync(new DescribeClustersRequest());

        var error = (await call.Should().ThrowAsync<AwsCallTimeoutException>()).Which;
        error.InnerException.Should().BeOfType<TimeoutRejectedException>();
        error.Message.Should().Contain("ecs DescribeClusters").And.Contain("2 attempts");
        _metrics.Sum("aws_api_requests_total", ("operation", "DescribeClusters"), ("outcome", "timeout")).Should().Be(2);
    }

    [Test]
    public async Task The_call_limit_ends_the_retries_of_an_endpoint_that_never_answers()
    {
        _emulator.Faults.SetLatency("DescribeClusters", TimeSpan.FromMinutes(5));
        var options = FastRetries with
        {
            MaxRetryAttempts = 100, AttemptTimeout = TimeSpan.FromMilliseconds(100), CallTimeout = TimeSpan.FromMilliseconds(500),
        };

        var call = () => Resilient(options).DescribeClustersAsync(new DescribeClustersRequest());

        var error = (await call.Should().ThrowAsync<AwsCallTimeoutException>()).Which;
        // 500 ms admit at most 5 attempts of 100 ms; without the call limit all 101 would run.
        var attempts = _metrics.Sum("aws_api_requests_total", ("operation", "DescribeClusters"), ("outcome", "timeout"));
        attempts.Should().BeInRange(1, 6);
        error.Attempts.Should().Be((int)attempts);
    }

    [Test]
    public async Task The_callers_cancellation_is_not_retried()
    {
        _emulator.Faults.SetLatency("DescribeClusters", TimeSpan.FromMinutes(5));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var call = () => Resilient().DescribeClustersAsync(new DescribeClustersRequest(), cts.Token);

        await call.Should().ThrowAsync<OperationCanceledException>();
        _metrics.Count("aws_api_requests_total", ("operation", "DescribeClusters")).Should().Be(1);
    }

    [Test]
    public async Task Concurrent_callers_of_one_account_share_one_bucket_and_stay_under_the_services_limit()
    {
        // The emulator throttles the account at bucket 10 / 30 per second, just above the client's 5 / 20 per second
        // (the margin absorbs requests that a busy machine delivers bunched together).
        await using var backend = await EcsBackend.StartAsync(EcsBackend.Emulator, new AwsEmulatorOptions { AccountThrottle = new TokenBucketOptions(10, 30) });
        var options = FastRetries with { MaxRetryAttempts = 0, ReadBucket = new TokenBucketOptions(5, 20) };
        var shared = Pipelines(options);
        var workers = Enumerable.Range(0, 4)
            .Select(_ => new ResilientEcsClient(backend.CreateClient(), shared, Account, Region))
            .ToList();

        await Task.WhenAll(workers.SelectMany(w => Enumerable.Range(0, 10).Select(_ => w.DescribeClustersAsync(new DescribeClustersRequest()))));

        backend.AwsEmulator!.Calls.Count("DescribeClusters").Should().Be(40);
        backend.AwsEmulator.Calls.CountErrors("ThrottlingException").Should().Be(0);
        shared.RateLimiters.Count.Should().Be(1);
        shared.RateLimiters.Get(new AwsRateLimitKey("ecs", Account, Region, AwsCallKind.Read)).WaitedCount.Should().BeGreaterThan(0, "the burst exceeded the bucket");
    }

    [Test]
    public async Task Control_callers_with_separate_buckets_get_throttled_by_the_same_service_limit()
    {
        await using var backend = await EcsBackend.StartAsync(EcsBackend.Emulator, new AwsEmulatorOptions { AccountThrottle = new TokenBucketOptions(10, 30) });
        var options = FastRetries with { MaxRetryAttempts = 0, ReadBucket = new TokenBucketOptions(5, 20) };
        var workers = Enumerable.Range(0, 4)
            .Select(_ => new ResilientEcsClient(backend.CreateClient(), Pipelines(options), Account, Region))
            .ToList();

        var results = await Task.WhenAll(workers.SelectMany(w => Enumerable.Range(0, 10).Select(async _ =>
        {
            try
            {
                await w.DescribeClustersAsync(new DescribeClustersRequest());
                return true;
            }
            catch (ThrottlingException)
            {
                return false;
            }
        })));

        results.Should().Contain(false);
        backend.AwsEmulator!.Calls.CountErrors("ThrottlingException").Should().BeGreaterThan(0);
    }

    [Test]
    public async Task The_factory_builds_resilient_clients_that_share_the_accounts_bucket()
    {
        var pipelines = Pipelines(FastRetries);
        using var pools = new Operator.Core.Aws.Http.AwsHttpPools(new Operator.Core.Aws.Http.AwsHttpOptions(), TimeProvider.System);
        var factory = new EcsClientFactory(pools, pipelines);
        var options = new EcsClientOptions { Region = Region, Endpoint = _backend.Endpoint };
        _emulator.Faults.FailNext("CreateCluster", 1, "ThrottlingException", 400, "Rate exceeded");

        await factory.Create("default/p", _backend.Credentials, options, Account).CreateClusterAsync(new CreateClusterRequest { ClusterName = "f" });
        await factory.Create("default/p", _backend.Credentials, options, Account).DeleteClusterAsync(new DeleteClusterRequest { Cluster = "f" });

        _emulator.Calls.Count("CreateCluster").Should().Be(2);
        pipelines.RateLimiters.Count.Should().Be(1);
    }

    [Test]
    public async Task Writes_and_reads_draw_from_separate_buckets_per_account_and_region()
    {
        var pipelines = Pipelines(FastRetries);
        var ecs = new ResilientEcsClient(_backend.CreateClient(), pipelines, Account, Region);

        await ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "a" });
        await ecs.DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["a"] });

        pipelines.RateLimiters.Count.Should().Be(2);
        pipelines.RateLimiters.Get(new AwsRateLimitKey("ecs", Account, Region, AwsCallKind.Write))
            .Should().NotBeSameAs(pipelines.RateLimiters.Get(new AwsRateLimitKey("ecs", Account, Region, AwsCallKind.Read)));
        pipelines.RateLimiters.Get(new AwsRateLimitKey("ecs", Account, Region, AwsCallKind.Read))
            .Should().BeSameAs(pipelines.RateLimiters.Get(new AwsRateLimitKey("ecs", Account, Region, AwsCallKind.Read)));
    }
}

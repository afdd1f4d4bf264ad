using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Operator.Core.Aws.Resilience;

/// <summary>
/// The AWS call instruments, on meter and ActivitySource <c>Operator.Aws</c>:
/// <c>aws_api_requests_total{service,operation,outcome}</c> and
/// <c>aws_api_request_duration_seconds{service,operation}</c> per HTTP attempt,
/// <c>aws_api_throttles_total{service,operation}</c> per throttled attempt, and one Activity per logical call
/// (retries included) tagged with service, operation, region and attempt count. Register as a singleton.
/// </summary>
internal sealed class AwsApiTelemetry
{
    public const string Name = "Operator.Aws";
    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Counter<long> _requests;
    private readonly Counter<long> _throttles;
    private readonly Histogram<double> _duration;

    public AwsApiTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        _requests = meter.CreateCounter<long>("aws_api_requests_total", description: "AWS API requests (HTTP attempts) by outcome.");
        _throttles = meter.CreateCounter<long>("aws_api_throttles_total", description: "AWS API requests answered with a throttling error.");
        _duration = meter.CreateHistogram<double>("aws_api_request_duration_seconds", unit: "s",
            description: "Duration of one AWS API request (HTTP attempt).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        // Pre-created at 0, as controller-runtime does, so rate() and absent() alerts work before the first throttle.
        foreach (var (service, operations) in KnownOperations)
        {
            foreach (var operation in operations)
            {
                _throttles.Add(0, new KeyValuePair<string, object?>("service", service), new KeyValuePair<string, object?>("operation", operation));
            }
        }
    }

    /// <summary>The operations whose throttle series exist at 0 from start-up, by service.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> KnownOperations = new Dictionary<string, string[]>
    {
        ["ecs"] =
        [
            "CreateCluster", "DescribeClusters", "UpdateCluster", "UpdateClusterSettings", "PutClusterCapacityProviders", "TagResource",
            "UntagResource", "ListTagsForResource", "DeleteCluster", "DescribeCapacityProviders", "ListServices", "ListTasks", "ListContainerInstances",
        ],
        ["sts"] = ["GetCallerIdentity", "AssumeRole", "AssumeRoleWithWebIdentity"],
    };

    public Activity? StartCall(string service, string operation, string region, string accountId)
    {
        var activity = ActivitySource.StartActivity($"{service}.{operation}", ActivityKind.Client);
        if (activity is not null)
        {
            activity.SetTag("rpc.system", "aws-api");
            activity.SetTag("rpc.service", service);
            activity.SetTag("rpc.method", operation);
            activity.SetTag("aws.service", service);
            activity.SetTag("aws.operation", operation);
            activity.SetTag("cloud.region", region);
            activity.SetTag("cloud.account.id", accountId);
        }

        return activity;
    }

    public void RecordAttempt(string service, string operation, string outcome, TimeSpan duration)
    {
        var serviceTag = new KeyValuePair<string, object?>("service", service);
        var operationTag = new KeyValuePair<string, object?>("operation", operation);
        _requests.Add(1, serviceTag, operationTag, new KeyValuePair<string, object?>("outcome", outcome));
        _duration.Record(duration.TotalSeconds, serviceTag, operationTag);
        if (outcome == AwsCallOutcome.Throttled)
        {
            _throttles.Add(1, serviceTag, operationTag);
        }
    }
}

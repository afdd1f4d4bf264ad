using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Operator.Core.Aws.Ecs;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Operator.Core.Aws.Resilience;

/// <summary>
/// The process-wide resilience policy for AWS calls (register as a singleton): one Polly pipeline per
/// <see cref="AwsRateLimitKey"/>, built as
/// <c>per-call timeout → retry(exponential backoff + jitter) → token bucket (wait, never reject) → per-attempt
/// timeout → call</c>. The per-call timeout bounds everything inside it, retries, back-off and token waits included,
/// so no call outlives <see cref="AwsResilienceOptions.CallTimeout"/> by more than the callee takes to observe
/// cancellation.
/// The retry handles only what repeating can fix: <see cref="EcsException.Retryable"/> errors (throttling,
/// 5xx), <see cref="HttpRequestException"/> and attempt timeouts — never validation, not-found or access errors.
/// Every attempt, retries included, takes a token, because AWS counts every request. Backoff and bucket waits
/// run on the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class AwsResiliencePipelines : IDisposable
{
    private readonly ConcurrentDictionary<AwsRateLimitKey, ResiliencePipeline> _pipelines = new();

    public AwsResiliencePipelines(AwsResilienceOptions options, IMeterFactory meterFactory, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Time = time ?? TimeProvider.System;
        RateLimiters = new AwsRateLimiterRegistry(options, Time);
        Telemetry = new AwsApiTelemetry(meterFactory);
    }

    public AwsResilienceOptions Options { get; }
    public TimeProvider Time { get; }
    public AwsRateLimiterRegistry RateLimiters { get; }
    public AwsApiTelemetry Telemetry { get; }

    public ResiliencePipeline Get(AwsRateLimitKey key) => _pipelines.GetOrAdd(key, Build);

    /// <summary>The one classifier of failed AWS calls: what a repeat of the same request can fix.</summary>
    public static bool IsTransient(Exception error) => error switch
    {
        EcsException e => e.Retryable,
        HttpRequestException => true,
        TimeoutRejectedException => true,
        _ => false,
    };

    public void Dispose() => RateLimiters.Dispose();

    private ResiliencePipeline Build(AwsRateLimitKey key)
    {
        var bucket = RateLimiters.Get(key);
        var builder = new ResiliencePipelineBuilder { TimeProvider = Time, Name = $"aws-{key.Service}-{key.Kind}" };
        builder.AddTimeout(Options.CallTimeout);
        if (Options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsTransient(e)),
                MaxRetryAttempts = Options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = Options.UseJitter,
                Delay = Options.BaseDelay,
                MaxDelay = Options.MaxDelay,
            });
        }

        builder.AddRateLimiter(bucket);
        builder.AddTimeout(Options.AttemptTimeout);
        return builder.Build();
    }
}

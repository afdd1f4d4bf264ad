using Microsoft.Extensions.Logging;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Credentials;
using Operator.Core.Bulkheads;
using Operator.Core.Clusters;
using Operator.Core.Controllers;
using Operator.Core.Events;

namespace Operator.Core.Providers;

/// <summary>
/// What one pass of the AWSProvider reconciler knows: the provider as the cache held it when the pass began (null when
/// it is gone), the ECSClusters that use it, the pass's clock reading, how many checks of its endpoint failed in a row,
/// and the answers of the steps carried out so far (null: not asked yet). <see cref="ProviderDecision.Decide"/> reads
/// nothing else. Never holds credentials: the session a check builds stays in the executor.
/// </summary>
internal sealed record ProviderObservation
{
    public required string Key { get; init; }
    public required AWSProvider? Obj { get; init; }

    /// <summary>The keys of the ECSClusters that use the provider (<see cref="ProviderProtection.Users"/>).</summary>
    public IReadOnlyList<string> Users { get; init; } = [];

    /// <summary>The pass's one reading of the injected clock (UTC).</summary>
    public required DateTime Now { get; init; }

    /// <summary>Consecutive failed checks of a failing endpoint before this pass: the re-check back-off's exponent.</summary>
    public int EndpointFailures { get; init; }

    /// <summary><see cref="RemoveInUseFinalizer"/>'s answer: the finalizer was there and is removed.</summary>
    public bool? FinalizerRemoved { get; init; }

    /// <summary><see cref="EnterChecks"/>'s answer.</summary>
    public SlotAnswer? Entered { get; init; }

    /// <summary><see cref="Authenticate"/>'s answer.</summary>
    public ProviderCheck? Check { get; init; }
}

/// <summary>A check's answer: the identity STS confirmed, or what failed (a <see cref="ProviderCredentialsException"/> or any other);
/// <see cref="Reportable"/> is false for an API server hiccup still within its grace (<see cref="Kubernetes.ApiServerHiccups"/>).</summary>
internal sealed record ProviderCheck(CallerIdentity? Identity, Exception? Error, bool Reportable = true);

/// <summary>
/// What <see cref="ProviderDecision.Decide"/> asks the executor to do next: <see cref="Effects"/> in order, then either
/// the step <see cref="Next"/> or the end of the pass (<see cref="Rethrow"/> when set, else <see cref="Result"/>).
/// </summary>
internal sealed record ProviderPlan(IReadOnlyList<ProviderEffect> Effects, ProviderStep? Next, ReconcileResult Result, Exception? Rethrow);

/// <summary>A write of the pass: status, an Event, the in-use finalizer, the credentials and back-off memory, a log line.</summary>
internal abstract record ProviderEffect;

/// <summary>Patch <c>/status</c> to <paramref name="Status"/>.</summary>
internal sealed record WriteProviderStatus(AWSProviderStatus Status) : ProviderEffect;

internal sealed record RecordProviderEvent(EventSeverity Severity, string Reason, string Message, string? Series = null) : ProviderEffect;

/// <summary>Add <see cref="ProviderProtection.Finalizer"/>.</summary>
internal sealed record AddInUseFinalizer : ProviderEffect;

/// <summary>Drop the provider's cached session, so the next check builds it anew.</summary>
internal sealed record InvalidateCredentials : ProviderEffect;

/// <summary>The provider is gone: drop everything kept for it (sessions, last working credentials, ECS clients, HTTP pools, back-off).</summary>
internal sealed record ForgetProvider : ProviderEffect;

/// <summary>The endpoint answered (or the provider goes): its failure count starts again.</summary>
internal sealed record ResetRechecks : ProviderEffect;

/// <summary>One more failed check of a failing endpoint.</summary>
internal sealed record CountRecheck : ProviderEffect;

/// <summary>A log line; <paramref name="Template"/> is a message template with <paramref name="Args"/> as its values.</summary>
internal sealed record ProviderLog(LogLevel Level, string Template, params object?[] Args) : ProviderEffect;

/// <summary>A question for the world; its answer is a field of <see cref="ProviderObservation"/>.</summary>
internal abstract record ProviderStep;

/// <summary>Remove <see cref="ProviderProtection.Finalizer"/> if it is there.</summary>
internal sealed record RemoveInUseFinalizer : ProviderStep;

/// <summary>A slot of the provider's namespace and of its STS endpoint for the rest of the pass (<see cref="ProviderCheckSlots"/>).</summary>
internal sealed record EnterChecks : ProviderStep;

/// <summary>The provider's session (its Secrets, its role assumptions), then STS GetCallerIdentity; a success records
/// the session as the provider's last working credentials.</summary>
internal sealed record Authenticate : ProviderStep;

using System.Text.Json.Serialization;
using k8s.Models;

namespace Operator.Core.Api.V1Alpha1;

/// <summary>What the operator last learnt from STS GetCallerIdentity for a provider. Never holds secret material.</summary>
public sealed record AWSProviderStatus
{
    [JsonPropertyName("ready")] public bool Ready { get; set; }
    [JsonPropertyName("accountID")] public string? AccountID { get; set; }
    [JsonPropertyName("callerIdentity")] public string? CallerIdentity { get; set; }
    [JsonPropertyName("lastAuthenticationTime")] public DateTime? LastAuthenticationTime { get; set; }
    /// <summary>kubectl's STATUS column: ACTIVE, or DELETION_BLOCKED (ECSClusters still use it) / DELETING once deleted.</summary>
    [JsonPropertyName("phase")] public string? Phase { get; set; }
    [JsonPropertyName("observedGeneration")] public long? ObservedGeneration { get; set; }
    [JsonPropertyName("conditions")] public List<V1Condition>? Conditions { get; set; }
}

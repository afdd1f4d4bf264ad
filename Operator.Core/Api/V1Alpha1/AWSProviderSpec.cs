using System.Text.Json.Serialization;

namespace Operator.Core.Api.V1Alpha1;

/// <summary>
/// How to authenticate to AWS. Exactly one identity source applies: static keys from Secrets
/// (<see cref="AccessKeyIDRef"/> + <see cref="SecretAccessKeyRef"/>), <see cref="RoleARN"/> (IRSA web identity, or
/// AssumeRole from the default chain when the pod has no token file), or neither (the default chain itself).
/// <see cref="AssumeRoleARN"/> may chain one more role on top of any of them.
/// </summary>
public sealed record AWSProviderSpec
{
    [JsonPropertyName("region")] public string Region { get; set; } = "";
    [JsonPropertyName("roleARN")] public string? RoleARN { get; set; }
    [JsonPropertyName("accessKeyIDRef")] public SecretKeyReference? AccessKeyIDRef { get; set; }
    [JsonPropertyName("secretAccessKeyRef")] public SecretKeyReference? SecretAccessKeyRef { get; set; }
    [JsonPropertyName("sessionTokenRef")] public SecretKeyReference? SessionTokenRef { get; set; }
    [JsonPropertyName("endpoint")] public string? Endpoint { get; set; }
    [JsonPropertyName("assumeRoleARN")] public string? AssumeRoleARN { get; set; }
    [JsonPropertyName("externalID")] public string? ExternalID { get; set; }
    [JsonPropertyName("defaultTags")] public Dictionary<string, string>? DefaultTags { get; set; }

    /// <summary>
    /// Namespaces whose ECSClusters may use this provider, besides its own. "*" allows every namespace.
    /// </summary>
    [JsonPropertyName("allowedNamespaces")] public List<string>? AllowedNamespaces { get; set; }
}

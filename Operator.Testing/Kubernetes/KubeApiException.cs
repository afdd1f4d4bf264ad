namespace Operator.Testing.Kubernetes;

/// <summary>Carries a metav1.Status body to the HTTP layer; thrown anywhere inside request handling.</summary>
internal sealed class KubeApiException(JsonObject status) : Exception(status["message"]?.GetValue<string>())
{
    public JsonObject Status { get; } = status;

    public int Code => (int)(JsonPaths.GetLong(Status["code"]) ?? 500);
}

namespace Operator.Testing.Kubernetes;

/// <summary>
/// core/v1 Secrets, as the real registry stores them: <c>stringData</c> is write-only (merged into base64
/// <c>data</c>, later keys winning, and never stored or served) and <c>type</c> defaults to <c>Opaque</c>.
/// <c>data</c> is not checked for base64.
/// </summary>
internal sealed class SecretStrategy : ResourceStrategy
{
    public static readonly SecretStrategy Instance = new();

    protected override void Canonicalize(JsonObject obj, string now)
    {
        if (obj["stringData"] is JsonObject stringData)
        {
            var data = obj["data"] as JsonObject ?? new JsonObject();
            foreach (var (k, v) in stringData)
            {
                data[k] = Convert.ToBase64String(Encoding.UTF8.GetBytes(Str(v) ?? v?.ToJsonString() ?? ""));
            }

            obj["data"] = data;
        }

        obj.Remove("stringData");
        obj["type"] ??= "Opaque";
    }
}

namespace Operator.Testing.Kubernetes;

/// <summary>A Table column: CRD additionalPrinterColumns, or the fixed columns the emulator gives built-in kinds.</summary>
/// <remarks><see cref="Compute"/>, when set, replaces the JSONPath lookup (built-in columns such as an event's "kind/name").</remarks>
internal sealed record PrinterColumn(string Name, string Type, string JsonPath, string Format = "", string Description = "", int Priority = 0)
{
    public Func<System.Text.Json.Nodes.JsonObject, System.Text.Json.Nodes.JsonNode?>? Compute { get; init; }
}

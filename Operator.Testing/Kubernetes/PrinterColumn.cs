namespace Operator.Testing.Kubernetes;

/// <summary>A Table column: CRD additionalPrinterColumns, or the fixed columns the emulator gives built-in kinds.</summary>
internal sealed record PrinterColumn(string Name, string Type, string JsonPath, string Format = "", string Description = "", int Priority = 0);

using Microsoft.Extensions.Configuration;

namespace Operator.Hosting;

/// <summary>
/// What the host does with OpenTelemetry, decided once from its configuration (the standard <c>OTEL_*</c> variables
/// arrive there under their own names): the <c>service.name</c> every metric and span carries (<c>OTEL_SERVICE_NAME</c>,
/// else <see cref="DefaultServiceName"/>; local mode gives its own default), the instance (<c>POD_NAME</c>, else the
/// machine name), and whether spans are exported over OTLP (an OTLP endpoint is set and <c>OTEL_TRACES_EXPORTER</c>
/// is not <c>none</c>). Only then are spans made, and only then do log lines carry trace and span ids.
/// </summary>
internal sealed record Telemetry(string ServiceName, string InstanceId, bool ExportTraces)
{
    public const string DefaultServiceName = "infra-operator";
    public const string ServiceNameKey = "OTEL_SERVICE_NAME";

    public static Telemetry From(IConfiguration configuration)
    {
        var endpoint = configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] ?? configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var exporter = configuration["OTEL_TRACES_EXPORTER"];
        return new Telemetry(
            configuration[ServiceNameKey] is { Length: > 0 } name ? name : DefaultServiceName,
            configuration["POD_NAME"] is { Length: > 0 } pod ? pod : Environment.MachineName,
            !string.IsNullOrWhiteSpace(endpoint) && !string.Equals(exporter, "none", StringComparison.OrdinalIgnoreCase));
    }
}

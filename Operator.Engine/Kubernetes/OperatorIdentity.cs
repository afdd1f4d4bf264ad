using System.Reflection;

namespace Operator.Core.Kubernetes;

/// <summary>
/// The name the operator writes under: the User-Agent of every Kubernetes request and the fieldManager of every write
/// we name one for, <c>infra-operator/&lt;version&gt;</c>, so managedFields and audit logs show the operator and not
/// the client library. The version is the assembly's informational version without build metadata.
/// </summary>
internal static class OperatorIdentity
{
    public static readonly string Version =
        (typeof(OperatorIdentity).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0")
        .Split('+')[0];

    public static readonly string FieldManager = $"infra-operator/{Version}";

    public static string UserAgent => FieldManager;
}

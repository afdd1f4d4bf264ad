namespace Operator.Testing.Kubernetes;

/// <summary>
/// core/v1 Services: stored as sent (no clusterIP is allocated, no port is defaulted), and, as the real registry
/// (<c>ReturnDeletedObject</c>), a DELETE answers the deleted Service rather than a Status, which is what clients
/// generated from the OpenAPI document decode.
/// </summary>
internal sealed class ServiceStrategy : ResourceStrategy
{
    public static readonly ServiceStrategy Instance = new();

    public override bool DeleteReturnsObject => true;
}

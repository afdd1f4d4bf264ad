namespace Operator.Core.Events;

/// <summary>
/// The Normal event reasons that report an object's lifecycle in AWS. <see cref="EventRecorder"/> exempts exactly
/// these from the spam budget, so a controller that records one of them must use these constants.
/// </summary>
internal static class LifecycleReasons
{
    public const string Created = "Created";
    public const string Updated = "Updated";
    public const string Adopted = "Adopted";
    public const string Deleted = "Deleted";
    public const string Retained = "Retained";
    public const string Released = "Released";

    public static readonly IReadOnlySet<string> All =
        new HashSet<string>([Created, Updated, Adopted, Deleted, Retained, Released], StringComparer.Ordinal);

    /// <summary>The reasons that end an object's life: recorded once, right before it goes, so never folded into an
    /// earlier Event (no lookup on the server for them).</summary>
    public static readonly IReadOnlySet<string> Final = new HashSet<string>([Deleted, Retained, Released], StringComparer.Ordinal);
}

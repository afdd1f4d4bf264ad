using System.Threading.Channels;

namespace Operator.Testing.Kubernetes;

/// <summary>
/// One event as it goes on the wire: {"type": Type, "object": Object}. <see cref="NotBefore"/> holds it until the
/// response of the write that caused it is sent; <see cref="Sent"/> is completed once it is written to the stream
/// (both set by <see cref="WriteOrder"/>).
/// </summary>
internal sealed record WatchEnvelope(string Type, JsonObject Object)
{
    public Task? NotBefore { get; init; }

    public TaskCompletionSource? Sent { get; init; }
}

/// <summary>
/// An open watch. The store writes into <see cref="Events"/> while holding its lock, so events reach each watcher
/// in resourceVersion order and a bookmark written under the same lock never overtakes an event.
/// </summary>
internal sealed class WatchSubscription
{
    public required ResourceType Type { get; init; }

    public string? Namespace { get; init; }

    public required LabelSelector Labels { get; init; }

    public required FieldSelector Fields { get; init; }

    public Channel<WatchEnvelope> Events { get; } = Channel.CreateUnbounded<WatchEnvelope>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Cancelled by fault injection to drop this watch.</summary>
    public CancellationTokenSource Dropped { get; } = new();

    public bool AbortConnection { get; set; }

    public bool Matches(JsonObject converted)
    {
        if (Namespace is not null && (converted["metadata"]?["namespace"]?.GetValue<string>() ?? "") != Namespace)
        {
            return false;
        }

        return Labels.Matches(converted) && Fields.Matches(converted);
    }
}

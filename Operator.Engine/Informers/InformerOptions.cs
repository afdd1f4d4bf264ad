namespace Operator.Core.Informers;

/// <summary>How an informer lists, watches and resyncs.</summary>
internal sealed record InformerOptions
{
    /// <summary>Namespaces to watch; empty means all namespaces with one cluster-wide watch.</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary>Re-delivers every cached object to the handlers this often, without any API call. Zero disables.</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Page size of the LIST requests.</summary>
    public int PageSize { get; init; } = 500;

    /// <summary>Server-side watch time-outs are drawn from [min, 2·min), so that watches do not all reopen together.</summary>
    public TimeSpan MinWatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public string? LabelSelector { get; init; }

    /// <summary>Read what is cached with a string pool of the informer's own (<see cref="Informer{T}.NewCacheJson"/>).
    /// Off for a kind whose strings must not outlive its objects: a pooled string stays in the pool until evicted, and
    /// a Secret's values (kubectl's last-applied annotation repeats its data) must not.</summary>
    public bool SharedStrings { get; init; } = true;
}

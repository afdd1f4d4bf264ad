using System.Collections.Concurrent;

namespace Operator.Testing.Kubernetes;

/// <summary>One served request, with the verb as Kubernetes audit logs name it, the user it was authenticated as and
/// the Accept header the client sent (e.g. <c>as=PartialObjectMetadataList</c> for a metadata-only list).</summary>
public sealed record RequestLogEntry(
    DateTimeOffset Time,
    string Method,
    string Path,
    string Verb,
    string Group,
    string Resource,
    string Subresource,
    string Namespace,
    string Name,
    int StatusCode,
    string Query = "",
    string User = "",
    string Accept = "")
{
    public bool IsWrite => Verb is "create" or "update" or "patch" or "delete" or "deletecollection";
}

/// <summary>Thread-safe record of what clients asked; tests assert on counts (e.g. "no status write happened").</summary>
public sealed class RequestLog
{
    private readonly ConcurrentQueue<RequestLogEntry> _entries = new();

    public IReadOnlyList<RequestLogEntry> Entries => _entries.ToArray();

    /// <summary>Resource requests that changed or tried to change state, in arrival order.</summary>
    public IReadOnlyList<RequestLogEntry> Writes => _entries.Where(e => e.IsWrite).ToArray();

    /// <summary>Requests per verb, optionally for one resource (plural) and subresource ("" for the main resource).</summary>
    public int Count(string verb, string? resource = null, string? subresource = null) =>
        _entries.Count(e => e.Verb == verb && (resource is null || e.Resource == resource) && (subresource is null || e.Subresource == subresource));

    /// <summary>Counts keyed "verb resource[/subresource]".</summary>
    public IReadOnlyDictionary<string, int> CountsByVerbAndResource() =>
        _entries.Where(e => e.Resource.Length > 0)
            .GroupBy(e => $"{e.Verb} {e.Resource}{(e.Subresource.Length > 0 ? "/" + e.Subresource : "")}")
            .ToDictionary(g => g.Key, g => g.Count());

    public void Reset() => _entries.Clear();

    internal void Add(RequestLogEntry entry) => _entries.Enqueue(entry);
}

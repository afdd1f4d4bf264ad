namespace Operator.Testing.Aws;

/// <summary>
/// A transport-neutral view of a received HTTP request, as SigV4 needs it: method, the path and query exactly as
/// sent (still percent-encoded), every header (names in any case, repeated names allowed) and the body bytes.
/// </summary>
internal sealed record SigV4Request(string Method, string RawPath, string RawQuery, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    public string? Header(string name) =>
        Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault();
}

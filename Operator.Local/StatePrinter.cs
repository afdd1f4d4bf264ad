using k8s.Models;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Informers;

namespace Operator.Local;

/// <summary>
/// Prints one readable line whenever an AWSProvider or ECSCluster changes state (readiness, ECS status, conditions),
/// so that a newcomer can follow what the operator does without reading logs.
/// </summary>
internal sealed class StatePrinter(TextWriter output)
{
    private readonly Lock _gate = new();

    public IInformerHandler<ECSCluster> Clusters => new Handler<ECSCluster>(this, Describe);
    public IInformerHandler<AWSProvider> Providers => new Handler<AWSProvider>(this, Describe);

    private static string Describe(ECSCluster c) =>
        $"ECSCluster {c.Metadata.NamespaceProperty}/{c.Metadata.Name} (cluster {c.Spec.ClusterName}): "
        + $"status={c.Status?.Phase ?? c.Status?.Status ?? "-"} ready={c.Status?.Ready.ToString().ToLowerInvariant() ?? "false"}"
        + (c.Metadata.DeletionTimestamp is null ? "" : " deleting")
        + Conditions(c.Status?.Conditions);

    private static string Describe(AWSProvider p) =>
        $"AWSProvider {p.Metadata.NamespaceProperty}/{p.Metadata.Name}: ready={p.Status?.Ready.ToString().ToLowerInvariant() ?? "false"}"
        + (p.Status?.AccountID is { } a ? $" account={a}" : "")
        + Conditions(p.Status?.Conditions);

    private static string Conditions(IList<V1Condition>? conditions) =>
        conditions is null or { Count: 0 } ? "" : " [" + string.Join(", ", conditions.Select(c => $"{c.Type}={c.Status}({c.Reason})")) + "]";

    private void Print(string line)
    {
        lock (_gate)
        {
            output.WriteLine($"{DateTime.Now:HH:mm:ss} >> {line}");
        }
    }

    private sealed class Handler<T>(StatePrinter printer, Func<T, string> describe) : IInformerHandler<T>
        where T : class
    {
        private readonly Dictionary<string, string> _last = new(StringComparer.Ordinal);

        public void OnAdd(T obj) => Show(obj);
        public void OnUpdate(T oldObj, T newObj) => Show(newObj);

        public void OnDelete(T obj)
        {
            var line = describe(obj);
            var key = line[..line.IndexOf(':', StringComparison.Ordinal)];
            lock (_last)
            {
                _last.Remove(key);
            }
            printer.Print($"{key}: deleted");
        }

        private void Show(T obj)
        {
            var line = describe(obj);
            var key = line[..line.IndexOf(':', StringComparison.Ordinal)];
            lock (_last)
            {
                if (_last.TryGetValue(key, out var previous) && previous == line)
                {
                    return;
                }
                _last[key] = line;
            }
            printer.Print(line);
        }
    }
}

namespace Operator.Testing.Kubernetes;

// Saving and restoring the emulator's objects, so local mode can keep them across restarts (--state-dir): every
// object of every resource as stored (CustomResourceDefinitions first on restore, so their resources are served before
// their objects come back), with the current resourceVersion. Watch history is not kept: a client resuming a watch
// from before the restart gets 410 Expired and relists, as after a real apiserver's compaction.
public sealed partial class KubeApiEmulator
{
    /// <summary>A JSON document of every stored object and the current resourceVersion.</summary>
    public string ExportState()
    {
        lock (_store.Gate)
        {
            var objects = new JsonArray();
            foreach (var key in _store.StorageKeys.Order(StringComparer.Ordinal))
            {
                foreach (var obj in _store.List(key, null))
                {
                    objects.Add(new JsonObject { ["storageKey"] = key, ["object"] = obj.DeepClone() });
                }
            }
            return new JsonObject
            {
                ["resourceVersion"] = _store.CurrentRv.ToString(CultureInfo.InvariantCulture),
                ["objects"] = objects,
            }.ToJsonString();
        }
    }

    /// <summary>
    /// Restores what <see cref="ExportState"/> saved, on top of the objects the emulator starts with (the built-in
    /// namespaces are replaced by their saved versions). Call it right after start, before any client writes.
    /// </summary>
    public void ImportState(string json)
    {
        var state = JsonNode.Parse(json)?.AsObject() ?? throw new InvalidDataException("empty Kubernetes state");
        var rv = long.Parse(state["resourceVersion"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        var entries = state["objects"]!.AsArray().Select(e => (Key: e!["storageKey"]!.GetValue<string>(), Object: e["object"]!.AsObject())).ToList();
        foreach (var crd in entries.Where(e => e.Key == CustomResourceDefinitionStrategy.StorageKey))
        {
            RegisterCrd((JsonObject)crd.Object.DeepClone());
        }
        lock (_store.Gate)
        {
            foreach (var (key, obj) in entries)
            {
                _store.Restore(key, (JsonObject)obj.DeepClone(), rv);
            }
        }
    }
}

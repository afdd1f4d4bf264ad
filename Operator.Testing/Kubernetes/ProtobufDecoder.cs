namespace Operator.Testing.Kubernetes;

/// <summary>
/// kubectl's typed commands (create namespace/secret/configmap) send application/vnd.kubernetes.protobuf and never
/// fall back to JSON, so the emulator decodes that envelope for the few kinds it serves as built-ins: Namespace,
/// Secret, ConfigMap, and the ObjectMeta fields name, generateName, namespace, labels, annotations, finalizers; and the
/// SelfSubjectAccessReview of <c>kubectl auth can-i</c>.
/// Field numbers are those of k8s.io/api/core/v1/generated.proto and apimachinery's meta/v1 generated.proto.
/// </summary>
internal static class ProtobufDecoder
{
    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    public static JsonObject Decode(ReadOnlySpan<byte> body)
    {
        if (body.Length < 4 || !body[..4].SequenceEqual(Magic))
        {
            throw KubeStatus.BadRequest("protobuf body without the k8s envelope");
        }

        string apiVersion = "", kind = "";
        byte[] raw = [];
        foreach (var (field, value) in Fields(body[4..].ToArray()))
        {
            switch (field)
            {
                case 1:
                    foreach (var (f, v) in Fields(value))
                    {
                        if (f == 1)
                        {
                            apiVersion = Encoding.UTF8.GetString(v);
                        }
                        else if (f == 2)
                        {
                            kind = Encoding.UTF8.GetString(v);
                        }
                    }

                    break;
                case 2:
                    raw = value;
                    break;
            }
        }

        var obj = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind };
        foreach (var (field, value) in Fields(raw))
        {
            switch (kind, field)
            {
                case (_, 1):
                    obj["metadata"] = Metadata(value);
                    break;
                case ("Namespace", 2):
                    var finalizers = new JsonArray();
                    foreach (var (f, v) in Fields(value))
                    {
                        if (f == 1)
                        {
                            finalizers.Add(Encoding.UTF8.GetString(v));
                        }
                    }

                    obj["spec"] = new JsonObject { ["finalizers"] = finalizers };
                    break;
                case ("Secret", 2):
                    AddMapEntry(obj, "data", value, base64: true);
                    break;
                case ("Secret", 3) when value.Length > 0:
                    obj["type"] = Encoding.UTF8.GetString(value);
                    break;
                case ("Secret", 4):
                    AddMapEntry(obj, "stringData", value, base64: false);
                    break;
                case ("ConfigMap", 2):
                    AddMapEntry(obj, "data", value, base64: false);
                    break;
                case ("ConfigMap", 3):
                    AddMapEntry(obj, "binaryData", value, base64: true);
                    break;
                case ("SelfSubjectAccessReview", 2):
                    obj["spec"] = ReviewSpec(value);
                    break;
            }
        }

        return obj;
    }

    /// <summary>
    /// authorization/v1 SelfSubjectAccessReviewSpec (what <c>kubectl auth can-i</c> sends): resourceAttributes (1:
    /// namespace, verb, group, version, resource, subresource, name) or nonResourceAttributes (2: path, verb).
    /// </summary>
    private static JsonObject ReviewSpec(byte[] bytes)
    {
        var spec = new JsonObject();
        foreach (var (field, value) in Fields(bytes))
        {
            var (property, names) = field switch
            {
                1 => ("resourceAttributes", new[] { "namespace", "verb", "group", "version", "resource", "subresource", "name" }),
                2 => ("nonResourceAttributes", new[] { "path", "verb" }),
                _ => ("", []),
            };
            if (property.Length == 0)
            {
                continue;
            }

            var attributes = new JsonObject();
            foreach (var (f, v) in Fields(value))
            {
                if (f >= 1 && f <= names.Length && v.Length > 0)
                {
                    attributes[names[f - 1]] = Encoding.UTF8.GetString(v);
                }
            }

            spec[property] = attributes;
        }

        return spec;
    }

    private static JsonObject Metadata(byte[] bytes)
    {
        var meta = new JsonObject();
        foreach (var (field, value) in Fields(bytes))
        {
            switch (field)
            {
                case 1 or 2 or 3 when value.Length > 0:
                    meta[field switch { 1 => "name", 2 => "generateName", _ => "namespace" }] = Encoding.UTF8.GetString(value);
                    break;
                case 11:
                    AddMapEntry(meta, "labels", value, base64: false);
                    break;
                case 12:
                    AddMapEntry(meta, "annotations", value, base64: false);
                    break;
                case 14:
                    if (meta["finalizers"] is not JsonArray list)
                    {
                        list = [];
                        meta["finalizers"] = list;
                    }

                    list.Add(Encoding.UTF8.GetString(value));
                    break;
            }
        }

        return meta;
    }

    private static void AddMapEntry(JsonObject target, string property, byte[] entry, bool base64)
    {
        if (target[property] is not JsonObject map)
        {
            map = [];
            target[property] = map;
        }

        string key = "";
        byte[] val = [];
        foreach (var (f, v) in Fields(entry))
        {
            if (f == 1)
            {
                key = Encoding.UTF8.GetString(v);
            }
            else if (f == 2)
            {
                val = v;
            }
        }

        map[key] = base64 ? Convert.ToBase64String(val) : Encoding.UTF8.GetString(val);
    }

    /// <summary>Length-delimited fields only (wire type 2); varints and fixed fields are skipped.</summary>
    private static IEnumerable<(int Field, byte[] Value)> Fields(byte[] bytes)
    {
        var pos = 0;
        while (pos < bytes.Length)
        {
            var tag = ReadVarint(bytes, ref pos);
            var field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    ReadVarint(bytes, ref pos);
                    break;
                case 1:
                    pos += 8;
                    break;
                case 5:
                    pos += 4;
                    break;
                case 2:
                    var len = (int)ReadVarint(bytes, ref pos);
                    if (len < 0 || pos + len > bytes.Length)
                    {
                        throw KubeStatus.BadRequest("truncated protobuf body");
                    }

                    yield return (field, bytes[pos..(pos + len)]);
                    pos += len;
                    break;
                default:
                    throw KubeStatus.BadRequest("unsupported protobuf wire type");
            }
        }
    }

    private static ulong ReadVarint(byte[] bytes, ref int pos)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= bytes.Length)
            {
                throw KubeStatus.BadRequest("truncated protobuf varint");
            }

            var b = bytes[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw KubeStatus.BadRequest("malformed protobuf varint");
    }
}

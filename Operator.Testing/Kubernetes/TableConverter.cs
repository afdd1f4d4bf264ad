namespace Operator.Testing.Kubernetes;

/// <summary>
/// Server-side printing (meta.k8s.io/v1 Table) for kubectl get: a Name column, then the type's printer columns.
/// Date columns become ages ("5m10s") as the apiextensions table convertor does; "count" columns count a map.
/// </summary>
internal static class TableConverter
{
    public static JsonObject Convert(ResourceType type, IEnumerable<JsonObject> objects, string resourceVersion, string? continueToken, bool includeColumns, bool includeFullObject, DateTimeOffset now)
    {
        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            rows.Add(Row(type, obj, includeFullObject, now));
        }

        var meta = new JsonObject { ["resourceVersion"] = resourceVersion };
        if (!string.IsNullOrEmpty(continueToken))
        {
            meta["continue"] = continueToken;
        }

        var table = new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = meta,
        };
        if (includeColumns)
        {
            table["columnDefinitions"] = Columns(type);
        }

        table["rows"] = rows;
        return table;
    }

    private static JsonObject NameColumn(ResourceType type) => new()
    {
        ["name"] = "Name", ["type"] = "string", ["format"] = "name", ["priority"] = type.NameColumnLast ? 1 : 0,
        ["description"] = "Name must be unique within a namespace.",
    };

    private static JsonArray Columns(ResourceType type)
    {
        var cols = new JsonArray();
        if (!type.NameColumnLast)
        {
            cols.Add(NameColumn(type));
        }

        foreach (var c in type.Columns)
        {
            cols.Add(new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type == "date" ? "string" : c.Type,
                ["format"] = c.Format == "count" ? "" : c.Format,
                ["description"] = c.Description,
                ["priority"] = c.Priority,
            });
        }

        if (type.NameColumnLast)
        {
            cols.Add(NameColumn(type));
        }

        return cols;
    }

    private static JsonObject Row(ResourceType type, JsonObject obj, bool includeFullObject, DateTimeOffset now)
    {
        var name = JsonValue.Create(obj["metadata"]?["name"]?.GetValue<string>() ?? "");
        var cells = new JsonArray();
        if (!type.NameColumnLast)
        {
            cells.Add(name);
        }

        foreach (var c in type.Columns)
        {
            cells.Add(Cell(c, c.Compute is { } compute ? compute(obj) : JsonPaths.Resolve(obj, c.JsonPath), now));
        }

        if (type.NameColumnLast)
        {
            cells.Add(name);
        }

        JsonObject rowObject = includeFullObject
            ? (JsonObject)obj.DeepClone()
            : new JsonObject
            {
                ["kind"] = "PartialObjectMetadata",
                ["apiVersion"] = "meta.k8s.io/v1",
                ["metadata"] = obj["metadata"]?.DeepClone(),
            };
        return new JsonObject { ["cells"] = cells, ["object"] = rowObject };
    }

    private static JsonNode? Cell(PrinterColumn column, JsonNode? value, DateTimeOffset now)
    {
        if (column.Format == "count")
        {
            return value is JsonObject o ? o.Count : 0;
        }

        if (value is null)
        {
            return null;
        }

        if (column.Type == "date" && value is JsonValue dv && dv.GetValueKind() == JsonValueKind.String &&
            DateTimeOffset.TryParse(dv.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            return HumanDuration(now - t);
        }

        return value is JsonObject or JsonArray ? value.ToJsonString() : value.DeepClone();
    }

    /// <summary>Port of k8s.io/apimachinery/pkg/util/duration.HumanDuration.</summary>
    public static string HumanDuration(TimeSpan d)
    {
        var seconds = (long)d.TotalSeconds;
        if (seconds < -1)
        {
            return "<invalid>";
        }

        if (seconds < 0)
        {
            return "0s";
        }

        if (seconds < 60 * 2)
        {
            return $"{seconds}s";
        }

        var minutes = (long)d.TotalMinutes;
        if (minutes < 10)
        {
            var s = seconds % 60;
            return s == 0 ? $"{minutes}m" : $"{minutes}m{s}s";
        }

        if (minutes < 60 * 3)
        {
            return $"{minutes}m";
        }

        var hours = (long)d.TotalHours;
        if (hours < 8)
        {
            var m = minutes % 60;
            return m == 0 ? $"{hours}h" : $"{hours}h{m}m";
        }

        if (hours < 48)
        {
            return $"{hours}h";
        }

        if (hours < 24 * 8)
        {
            var h = hours % 24;
            return h == 0 ? $"{hours / 24}d" : $"{hours / 24}d{h}h";
        }

        if (hours < 24 * 365 * 2)
        {
            return $"{hours / 24}d";
        }

        if (hours < 24 * 365 * 8)
        {
            var dy = hours / 24 % 365;
            return dy == 0 ? $"{hours / 24 / 365}y" : $"{hours / 24 / 365}y{dy}d";
        }

        return $"{hours / 24 / 365}y";
    }
}

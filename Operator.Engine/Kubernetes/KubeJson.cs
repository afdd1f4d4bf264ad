using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using CommunityToolkit.HighPerformance.Buffers;
using k8s;
using k8s.Models;

namespace Operator.Core.Kubernetes;

/// <summary>
/// JSON of Kubernetes objects as the API server writes it: camelCase members, nulls omitted, timestamps in RFC 3339
/// (UTC, whole seconds or microseconds). Source-generated: the operator runs as a Native AOT binary, where
/// reflection-based serialization is unavailable, and the client package it uses (KubernetesClient.Aot) knows only its
/// built-in kinds. The engine's own kinds are <see cref="EngineJsonContext"/>; the kinds of whatever sits on the engine
/// (its custom resources) come as a further source-generated context, given once where the process is composed, so
/// the engine names none of them. One instance serves a whole process and is immutable.
/// Contract: a type that none of the contexts knows fails with NotSupportedException, except that
/// <see cref="Serialize"/> writes JsonElement and JsonNode values as they are and hands other types to the
/// client's own context (its built-in kinds: events, secrets, leases, their lists).
/// </summary>
internal sealed class KubeJson
{
    /// <summary>The engine's kinds only: what the engine reads without knowing the process's custom resources
    /// (Status bodies, Leases, Events, Secrets' metadata).</summary>
    public static readonly KubeJson Engine = new();

    /// <param name="kinds">The source-generated contexts of the kinds the engine does not own (custom resources,
    /// their statuses, <see cref="ListPage{T}"/> of each informed kind), declared with the options of
    /// <see cref="EngineJsonContext"/>.</param>
    public KubeJson(params IJsonTypeInfoResolver[] kinds)
    {
        var options = new JsonSerializerOptions(EngineJsonContext.Default.Options)
        {
            TypeInfoResolver = JsonTypeInfoResolver.Combine([EngineJsonContext.Default, .. kinds]),
        };
        options.MakeReadOnly();
        Options = options;
    }

    public JsonSerializerOptions Options { get; }

    public JsonTypeInfo<T> TypeInfo<T>() => TypeInfo<T>(Options);

    /// <summary>The same contract as <see cref="Options"/>, reading every string through <paramref name="pool"/>
    /// (<see cref="PooledStringConverter"/>): for what is kept long, the informers' caches.</summary>
    public JsonSerializerOptions WithStringPool(StringPool pool)
    {
        var options = new JsonSerializerOptions(Options);
        options.Converters.Add(new PooledStringConverter(pool));
        options.MakeReadOnly();
        return options;
    }

    public static JsonTypeInfo<T> TypeInfo<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    public T Deserialize<T>(string json) => JsonSerializer.Deserialize(json, TypeInfo<T>())!;

    public T Deserialize<T>(Stream json) => JsonSerializer.Deserialize(json, TypeInfo<T>())!;

    public T Deserialize<T>(JsonElement json) => json.Deserialize(TypeInfo<T>())!;

    /// <summary>Serializes by the value's runtime type (what the client's custom-object calls return: JsonElement).</summary>
    public string Serialize(object value) => value switch
    {
        JsonElement element => element.GetRawText(),
        JsonNode node => node.ToJsonString(),
        _ when Options.TryGetTypeInfo(value.GetType(), out var info) => JsonSerializer.Serialize(value, info),
        _ => KubernetesJson.Serialize(value),
    };
}

/// <summary>
/// RFC 3339 timestamps as the API server and the KubernetesClient write them: UTC, "Z", whole seconds when there is
/// no fraction, else exactly six digits; reading accepts any fraction (nanoseconds are cut to .NET's 100 ns ticks).
/// </summary>
internal sealed class KubeDateTimeConverter : JsonConverter<DateTime>
{
    public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString() ?? throw new JsonException("a timestamp must be a string");
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot >= 0)
        {
            // More than seven fraction digits (Go writes nine) are beyond DateTimeOffset's parser: keep seven.
            var end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }
            if (end - dot - 1 > 7)
            {
                text = string.Concat(text.AsSpan(0, dot + 8), text.AsSpan(end));
            }
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed.UtcDateTime
            : throw new JsonException($"'{text}' is not an RFC 3339 timestamp");
    }

    public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options)
    {
        var utc = value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value;
        writer.WriteStringValue(utc.Ticks % TimeSpan.TicksPerSecond == 0
            ? utc.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", CultureInfo.InvariantCulture)
            : utc.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'", CultureInfo.InvariantCulture));
    }
}

/// <summary>
/// The kinds the engine itself reads and writes with <see cref="KubeJson"/>: Secrets (whole, and as
/// <see cref="PartialObjectMetadata{TKind}"/>: an informer of Secrets reads metadata only) and their lists, Leases
/// (leader election) and their lists, Event lists, Status bodies, and JsonElement. A context contributed to
/// <see cref="KubeJson"/> for further kinds declares the same options (camelCase, nulls omitted,
/// <see cref="KubeDateTimeConverter"/>). An informer of a new kind needs its type and its <see cref="ListPage{T}"/> in one.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(KubeDateTimeConverter)])]
[JsonSerializable(typeof(V1Secret))]
[JsonSerializable(typeof(PartialObjectMetadata<V1Secret>))]
[JsonSerializable(typeof(ListPage<PartialObjectMetadata<V1Secret>>))]
[JsonSerializable(typeof(V1Lease))]
[JsonSerializable(typeof(ListPage<V1Lease>))]
[JsonSerializable(typeof(V1Status))]
[JsonSerializable(typeof(Corev1EventList))]
// FieldsV1 (managedFields) is an object holding a JsonElement: without it, a read object could not be written back.
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class EngineJsonContext : JsonSerializerContext;

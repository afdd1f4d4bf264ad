using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CommunityToolkit.HighPerformance.Buffers;

namespace Operator.Core.Kubernetes;

/// <summary>
/// Reads JSON strings (values and dictionary keys) through a bounded <see cref="StringPool"/>, so that what many
/// cached objects repeat — apiVersion, kind, namespace, finalizers, label, annotation and tag keys and values, condition
/// types, statuses and reasons, a name and the cluster name equal to it, an ARN kept both in status and in an
/// annotation — is one string instance instead of one per object and field. Writes strings as the default converter does.
/// Guarantees: every value read is equal (ordinal) to what the default converter would read; only instances are
/// shared, which is safe because strings are immutable and nothing in the operator compares them by reference.
/// Values longer than <see cref="MaxPooledLength"/> bytes are not pooled (they are messages and blobs, rarely repeated).
/// The pool is bounded (least recently used entries make room), so unique values — UIDs, resourceVersions — cost
/// nothing beyond the pool's fixed size. Thread-safe as the pool is.
/// </summary>
internal sealed class PooledStringConverter(StringPool pool) : JsonConverter<string>
{
    public const int MaxPooledLength = 256;

    // Strict: invalid UTF-8 fails the read, as the default converter's transcoding does.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? Pooled(ref reader) : reader.GetString();

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Pooled(ref reader);

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value);

    private string Pooled(ref Utf8JsonReader reader)
    {
        if (!reader.HasValueSequence && !reader.ValueIsEscaped && reader.ValueSpan.Length <= MaxPooledLength)
        {
            // Decoded into the pool's buffer: a value already pooled allocates nothing.
            return pool.GetOrAdd(reader.ValueSpan, Utf8);
        }
        var text = reader.GetString()!;
        return text.Length <= MaxPooledLength ? pool.GetOrAdd(text) : text;
    }
}

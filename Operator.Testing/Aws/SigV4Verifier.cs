using System.Security.Cryptography;
using Amazon.Runtime.Internal.Auth;

namespace Operator.Testing.Aws;

/// <summary>
/// Server-side SigV4 (header form) verification for the emulator. It rebuilds the canonical request from exactly
/// the headers the client declared in <c>SignedHeaders</c> (so it verifies the operator's signer and the AWS
/// SDK's alike), hashes the body actually received, and lets AWSSDK.Core's <see cref="AWS4Signer.ComputeSignature(string,string,string,DateTime,string,string,string)"/>
/// derive the key and sign. The canonicalisation is covered by AWS's published SigV4 test-suite vectors in the
/// tests. Non-S3 rules only (path segments encoded twice); presigned URLs and chunked payloads are not supported.
/// </summary>
internal static class SigV4Verifier
{
    /// <summary>The signature the holder of <paramref name="secretAccessKey"/> would have sent for this request.</summary>
    public static string ComputeSignature(SigV4Request request, SigV4Authorization authorization, string secretAccessKey, DateTime signedAt)
    {
        var canonical = CanonicalRequest(request, authorization.SignedHeaders);
        return AWS4Signer.ComputeSignature(authorization.AccessKeyId, secretAccessKey, authorization.Region, signedAt,
            authorization.Service, string.Join(';', authorization.SignedHeaders), canonical).Signature;
    }

    public static bool SignatureMatches(SigV4Request request, SigV4Authorization authorization, string secretAccessKey, DateTime signedAt)
    {
        var expected = ComputeSignature(request, authorization, secretAccessKey, signedAt);
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(authorization.Signature.ToLowerInvariant()));
    }

    public static bool TryGetSigningTime(SigV4Request request, out DateTime signedAt) =>
        DateTime.TryParseExact(request.Header("X-Amz-Date"), "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out signedAt);

    public static string CanonicalRequest(SigV4Request request, IReadOnlyList<string> signedHeaders)
    {
        var builder = new StringBuilder();
        builder.Append(request.Method.ToUpperInvariant()).Append('\n');
        builder.Append(CanonicalUri(request.RawPath)).Append('\n');
        builder.Append(CanonicalQuery(request.RawQuery)).Append('\n');
        foreach (var name in signedHeaders)
        {
            var values = request.Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => TrimAll(h.Value));
            builder.Append(name.ToLowerInvariant()).Append(':').Append(string.Join(',', values)).Append('\n');
        }

        builder.Append('\n').Append(string.Join(';', signedHeaders)).Append('\n');
        builder.Append(Convert.ToHexStringLower(SHA256.HashData(request.Body)));
        return builder.ToString();
    }

    private static string CanonicalUri(string rawPath)
    {
        if (string.IsNullOrEmpty(rawPath) || rawPath == "/")
        {
            return "/";
        }

        // Non-S3 services sign the already-encoded path encoded once more.
        return string.Join('/', rawPath.Split('/').Select(UriEncode));
    }

    private static string CanonicalQuery(string rawQuery)
    {
        var query = rawQuery.StartsWith('?') ? rawQuery[1..] : rawQuery;
        if (query.Length == 0)
        {
            return "";
        }

        var pairs = query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p =>
        {
            var eq = p.IndexOf('=');
            var key = eq < 0 ? p : p[..eq];
            var value = eq < 0 ? "" : p[(eq + 1)..];
            return (Key: UriEncode(Uri.UnescapeDataString(key)), Value: UriEncode(Uri.UnescapeDataString(value)));
        });
        return string.Join('&', pairs.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
    }

    private static string UriEncode(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.' or '~')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    private static string TrimAll(string value)
    {
        var builder = new StringBuilder(value.Length);
        var space = false;
        foreach (var c in value.Trim())
        {
            if (c == ' ')
            {
                if (!space)
                {
                    builder.Append(c);
                }

                space = true;
            }
            else
            {
                builder.Append(c);
                space = false;
            }
        }

        return builder.ToString();
    }
}

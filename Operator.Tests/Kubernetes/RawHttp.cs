using System.Net.Http.Headers;

namespace Operator.Tests.Kubernetes;

/// <summary>One answer of the API as it came over the wire: the status, the JSON body (null when not JSON) and headers.</summary>
internal sealed record RawResponse(HttpStatusCode Code, JsonNode? Body, HttpResponseHeaders Headers, string Text)
{
    public JsonObject Object => Body as JsonObject ?? throw new InvalidOperationException($"not a JSON object: {Text}");

    public string? Message => Body?["message"]?.GetValue<string>();
}

/// <summary>JSON equality for tests: same values whatever the property order (the real server sorts keys).</summary>
internal static class JsonAssertions
{
    public static void ShouldEqualJson(this JsonNode? actual, string expected) =>
        JsonNode.DeepEquals(actual, JsonNode.Parse(expected)).Should().BeTrue($"{RawHttp.Compact(actual)} should be {expected}");
}

/// <summary>
/// Plain HTTP requests to the emulator where a test must control what the typed client does not let it: the
/// User-Agent, the exact body and content type, the token, or a request that must not be retried.
/// </summary>
internal static class RawHttp
{
    public static async Task<RawResponse> SendAsync(Uri baseAddress, HttpMethod method, string path, string? body = null,
        string contentType = "application/json", string? userAgent = null, string? token = null)
    {
        using var http = new HttpClient { BaseAddress = baseAddress };
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        if (userAgent is not null)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        try
        {
            json = text.Length > 0 ? JsonNode.Parse(text.Split('\n')[0]) : null;
        }
        catch (System.Text.Json.JsonException)
        {
            // Not JSON (a plain-text answer); the text is kept.
        }

        return new RawResponse(response.StatusCode, json, response.Headers, text);
    }

    public static Task<RawResponse> GetAsync(Uri baseAddress, string path, string? token = null) =>
        SendAsync(baseAddress, HttpMethod.Get, path, token: token);

    /// <summary>The managedFields of an answer as (manager, operation, subresource, compact FieldsV1) in server order.</summary>
    public static IReadOnlyList<(string Manager, string Operation, string Subresource, string Fields)> ManagedFields(JsonNode? obj) =>
        (obj?["metadata"]?["managedFields"] as JsonArray ?? [])
            .Select(e => (
                e!["manager"]!.GetValue<string>(),
                e["operation"]!.GetValue<string>(),
                e["subresource"]?.GetValue<string>() ?? "",
                Compact(e["fieldsV1"])))
            .ToList();

    private static readonly System.Text.Json.JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Compact JSON as the real server and <c>jq -c</c> print it (quotes escaped as \", not \u0022).</summary>
    public static string Compact(JsonNode? node) => node?.ToJsonString(Relaxed) ?? "null";
}

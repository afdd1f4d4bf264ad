namespace Operator.Tests.Api;

/// <summary>The samples under manifests/samples, parsed, with the headers the invalid ones carry.</summary>
internal static partial class SampleCatalog
{
    public static IEnumerable<string> ValidFiles() =>
        Directory.GetFiles(RepositoryLayout.SampleDirectory, "*.yaml").Order(StringComparer.Ordinal).Select(Path.GetFileName)!;

    public static IEnumerable<string> ValidCustomResourceFiles() =>
        ValidFiles().Where(f => Load(f)["kind"]?.GetValue<string>() is "AWSProvider" or "ECSCluster");

    public static IEnumerable<string> InvalidFiles() =>
        Directory.GetFiles(RepositoryLayout.InvalidSampleDirectory, "*.yaml").Order(StringComparer.Ordinal).Select(Path.GetFileName)!;

    public static JsonObject Load(string validFile) =>
        YamlJson.ParseObject(File.ReadAllText(Path.Combine(RepositoryLayout.SampleDirectory, validFile)));

    public static InvalidSample LoadInvalid(string file)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryLayout.InvalidSampleDirectory, file));
        var headers = HeaderLine().Matches(text).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim());
        return new InvalidSample(
            file,
            YamlJson.ParseObject(text),
            headers["layer"],
            headers["field"],
            headers["expect"],
            headers.GetValueOrDefault("update-of"));
    }

    [GeneratedRegex(@"^# (layer|field|expect|update-of): (.+)$", RegexOptions.Multiline)]
    private static partial Regex HeaderLine();
}

/// <summary>An invalid sample: the rule layer it targets (schema, cel, transition), the field and message expected.</summary>
internal sealed record InvalidSample(string File, JsonObject Object, string Layer, string Field, string Expect, string? UpdateOf);

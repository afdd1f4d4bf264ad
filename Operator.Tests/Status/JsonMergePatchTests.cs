namespace Operator.Tests.Status;

/// <summary>
/// <see cref="JsonMergePatch.Create"/> builds an RFC 7386 merge patch: applying it to the first document gives the
/// second (checked with an RFC 7386 apply written here), and equal documents give no patch.
/// </summary>
[TestFixture]
public sealed class JsonMergePatchTests
{
    [TestCase("""{"a":1}""", """{"a":1}""", null)]
    [TestCase("""{"a":1}""", """{"a":2}""", """{"a":2}""")]
    [TestCase("""{"a":1,"b":2}""", """{"a":1}""", """{"b":null}""")]
    [TestCase("""{"a":{"x":1,"y":2}}""", """{"a":{"x":1,"y":3}}""", """{"a":{"y":3}}""")]
    [TestCase("""{"a":{"x":1}}""", """{"a":{}}""", """{"a":{"x":null}}""")]
    [TestCase("""{"a":[1,2]}""", """{"a":[2,1]}""", """{"a":[2,1]}""")]
    [TestCase("""{"a":"s"}""", """{"a":{"x":1}}""", """{"a":{"x":1}}""")]
    [TestCase("""{}""", """{"a":null}""", null)]
    public void The_patch_is_the_smallest_that_turns_one_into_the_other(string from, string to, string? patch)
    {
        var result = JsonMergePatch.Create(JsonNode.Parse(from)!.AsObject(), JsonNode.Parse(to)!.AsObject());
        result?.ToJsonString().Should().Be(patch);
        if (patch is null)
        {
            result.Should().BeNull();
        }
    }

    [Test]
    public void Without_a_first_document_the_patch_is_the_second()
    {
        var to = JsonNode.Parse("""{"a":{"b":[1]}}""")!.AsObject();
        JsonMergePatch.Create(null, to)!.ToJsonString().Should().Be("""{"a":{"b":[1]}}""");
    }

    [Test]
    public void The_patch_does_not_share_nodes_with_its_inputs()
    {
        var to = JsonNode.Parse("""{"a":{"b":1}}""")!.AsObject();
        var patch = JsonMergePatch.Create(JsonNode.Parse("""{"a":1}""")!.AsObject(), to)!;
        patch["a"]!["b"] = 2;
        to.ToJsonString().Should().Be("""{"a":{"b":1}}""");
    }

    [Test]
    public void Applying_the_patch_gives_the_second_document_for_random_documents()
    {
        var random = new Random(20260301);
        for (var i = 0; i < 500; i++)
        {
            var from = RandomObject(random, 3);
            var to = RandomObject(random, 3);
            var patch = JsonMergePatch.Create(from, to);
            var applied = patch is null ? from.DeepClone() : Apply(from.DeepClone(), patch);
            JsonNode.DeepEquals(Normalise(applied), Normalise(to)).Should().BeTrue($"{from} patched with {patch} is {to}");
        }
    }

    /// <summary>RFC 7386 section 2's MergePatch; a null member of the target is the same as an absent one.</summary>
    private static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }
        var result = target as JsonObject ?? new JsonObject();
        foreach (var (name, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else
            {
                var current = result[name];
                result.Remove(name);
                result[name] = Apply(current?.DeepClone(), value);
            }
        }
        return result;
    }

    /// <summary>Null members dropped, as a merge patch cannot tell them from absent ones.</summary>
    private static JsonNode? Normalise(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.Where(p => p.Value is not null).Select(p => KeyValuePair.Create(p.Key, Normalise(p.Value)))),
        _ => node?.DeepClone(),
    };

    private static JsonObject RandomObject(Random random, int depth)
    {
        var obj = new JsonObject();
        foreach (var name in new[] { "a", "b", "c", "d" }.Where(_ => random.Next(3) > 0))
        {
            obj[name] = random.Next(5) switch
            {
                0 when depth > 0 => RandomObject(random, depth - 1),
                1 => new JsonArray(random.Next(3), random.Next(3)),
                2 => $"s{random.Next(3)}",
                _ => random.Next(3),
            };
        }
        return obj;
    }
}

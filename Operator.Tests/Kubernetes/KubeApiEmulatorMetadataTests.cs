namespace Operator.Tests.Kubernetes;

/// <summary>
/// The emulator answers metadata-only requests as kube-apiserver does (client-go's metadata client): a list asked as
/// <c>PartialObjectMetadataList</c>, a get or a watch asked as <c>PartialObjectMetadata</c>, carry the objects'
/// metadata and nothing else; media types are tried in the client's order; a list asked only as the singular is refused
/// with 406; the request log keeps the Accept header.
/// </summary>
[TestFixture]
public sealed class KubeApiEmulatorMetadataTests : EmulatorTestBase
{
    private const string Value = "metadata-test-secret-value";
    private const string ListAs = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
    private const string ItemAs = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";

    [SetUp]
    public async Task CreateSecretAsync() =>
        await Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "s", NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["a"] = "b" } },
            StringData = new Dictionary<string, string> { ["key"] = Value },
        }, "default");

    [Test]
    public async Task A_list_asked_as_PartialObjectMetadataList_carries_metadata_only()
    {
        var (status, body) = await GetAsync("/api/v1/namespaces/default/secrets", ListAs);

        status.Should().Be(HttpStatusCode.OK);
        body.Should().NotContain("\"data\"").And.NotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Value)));
        var list = JsonNode.Parse(body)!.AsObject();
        list["kind"]!.GetValue<string>().Should().Be("PartialObjectMetadataList");
        list["apiVersion"]!.GetValue<string>().Should().Be("meta.k8s.io/v1");
        list["metadata"]!["resourceVersion"].Should().NotBeNull();
        var item = list["items"]!.AsArray().Single()!.AsObject();
        item.Select(p => p.Key).Should().BeEquivalentTo("kind", "apiVersion", "metadata");
        item["kind"]!.GetValue<string>().Should().Be("PartialObjectMetadata");
        item["metadata"]!["labels"]!["a"]!.GetValue<string>().Should().Be("b");
        Emulator.Requests.Entries.Last(e => e.Resource == "secrets").Accept.Should().Be(ListAs);
    }

    [Test]
    public async Task The_operators_raw_client_reads_a_metadata_list_into_PartialObjectMetadata()
    {
        var raw = new RawApiClient(Client, EcsOperatorModule.Json);
        var type = ResourceType.Of<PartialObjectMetadata<V1Secret>>();

        var page = await raw.ListAsync<PartialObjectMetadata<V1Secret>>(type.CollectionPath("default"), 10, null, null, default, accept: type.ListAccept);

        type.MetadataOnly.Should().BeTrue();
        type.Plural.Should().Be("secrets");
        page.Items.Should().ContainSingle().Which.Metadata.Name.Should().Be("s");
    }

    [Test]
    public async Task A_get_asked_as_PartialObjectMetadata_carries_metadata_only()
    {
        var (status, body) = await GetAsync("/api/v1/namespaces/default/secrets/s", ItemAs);

        status.Should().Be(HttpStatusCode.OK);
        var obj = JsonNode.Parse(body)!.AsObject();
        obj["kind"]!.GetValue<string>().Should().Be("PartialObjectMetadata");
        obj.ContainsKey("data").Should().BeFalse();
    }

    [Test]
    public async Task Watch_events_asked_as_PartialObjectMetadata_carry_metadata_only()
    {
        var http = ((k8s.Kubernetes)Client).HttpClient;
        using var request = new HttpRequestMessage(HttpMethod.Get,
            $"{((k8s.Kubernetes)Client).BaseUri.ToString().TrimEnd('/')}/api/v1/namespaces/default/secrets?watch=true&resourceVersion=0&timeoutSeconds=30");
        request.Headers.TryAddWithoutValidation("Accept", ItemAs);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var first = JsonNode.Parse((await reader.ReadLineAsync())!)!.AsObject();
        await Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"stringData":{"key":"rotated-metadata-test-value"}}""", V1Patch.PatchType.MergePatch), "s", "default");
        var second = JsonNode.Parse((await reader.ReadLineAsync())!)!.AsObject();

        first["type"]!.GetValue<string>().Should().Be("ADDED");
        second["type"]!.GetValue<string>().Should().Be("MODIFIED");
        foreach (var ev in new[] { first, second })
        {
            ev["object"]!["kind"]!.GetValue<string>().Should().Be("PartialObjectMetadata");
            ev["object"]!.AsObject().ContainsKey("data").Should().BeFalse();
        }
    }

    [Test]
    public async Task Media_types_are_tried_in_order_and_a_list_asked_only_as_the_singular_is_refused()
    {
        var (refused, body) = await GetAsync("/api/v1/namespaces/default/secrets", ItemAs);
        refused.Should().Be(HttpStatusCode.NotAcceptable);
        body.Should().Contain("NotAcceptable");

        var (status, full) = await GetAsync("/api/v1/namespaces/default/secrets", $"{ItemAs}, application/json");
        status.Should().Be(HttpStatusCode.OK);
        JsonNode.Parse(full)!["kind"]!.GetValue<string>().Should().Be("SecretList", "the fallback serves whole objects");
    }

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string path, string accept)
    {
        var client = (k8s.Kubernetes)Client;
        using var request = new HttpRequestMessage(HttpMethod.Get, client.BaseUri.ToString().TrimEnd('/') + path);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await client.HttpClient.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}

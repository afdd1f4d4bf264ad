namespace Operator.Tests.Aws.Credentials;

/// <summary>
/// <see cref="KubernetesSecretReader"/> against a minimal fake API server (HttpListener, on a port no other fixture
/// holds: a port taken between its choice and the bind is chosen again). The reader's waits between authorization
/// attempts run on a fake clock.
/// </summary>
public sealed class KubernetesSecretReaderTests
{
    private const string SecretPath = "/api/v1/namespaces/team-a/secrets/aws-credentials";
    private const string ForbiddenPath = "/api/v1/namespaces/locked/secrets/aws-credentials";

    private const string BrokenPath = "/api/v1/namespaces/broken/secrets/aws-credentials";
    private const string UnavailablePath = "/api/v1/namespaces/unavailable/secrets/aws-credentials";

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _paths = new();
    private HttpListener _listener = null!;
    private Task _serving = null!;
    private k8s.Kubernetes _client = null!;

    [OneTimeSetUp]
    public void Start()
    {
        int port;
        for (var attempt = 1; ; attempt++)
        {
            port = MotoStsFixture.FreePort();
            _listener = new HttpListener();
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                // Another process or fixture bound the port after it was found free.
                _listener.Close();
            }
        }
        _serving = Task.Run(ServeAsync);
        _client = new Operator.Core.Kubernetes.OperatorKubernetesClient(new KubernetesClientConfiguration { Host = $"http://127.0.0.1:{port}" }, Operator.Core.Kubernetes.KubeJson.Engine);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _client.Dispose();
        _listener.Stop();
        _listener.Close();
        await _serving;
    }

    [Test]
    public async Task Returns_the_decoded_value_and_the_resourceVersion()
    {
        var value = await new KubernetesSecretReader(_client).ReadKeyAsync("team-a", "aws-credentials", "secret-access-key", default);

        value.Value.Should().Be("wJalrXUtnFEMI/K7MDENG+bPxRfiCY\n");
        value.ResourceVersion.Should().Be("4711");
        value.ToString().Should().NotContain("wJalr");
    }

    [Test]
    public async Task A_missing_secret_is_SecretNotFound()
    {
        var act = () => new KubernetesSecretReader(_client).ReadKeyAsync("team-a", "other", "k", default);

        var e = (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which;
        e.Reason.Should().Be(ProviderCredentialsReasons.SecretNotFound);
        e.Message.Should().Contain("team-a/other");
    }

    [Test]
    public async Task A_missing_key_is_SecretKeyNotFound_without_the_other_values()
    {
        var act = () => new KubernetesSecretReader(_client).ReadKeyAsync("team-a", "aws-credentials", "session-token", default);

        var e = (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which;
        e.Reason.Should().Be(ProviderCredentialsReasons.SecretKeyNotFound);
        e.Message.Should().Contain("session-token").And.NotContain("wJalr").And.NotContain("AKID");
    }

    [Test]
    public async Task A_forbidden_secret_is_SecretForbidden_naming_the_secret_and_RBAC()
    {
        var time = new FakeTimeProvider();
        var read = new KubernetesSecretReader(_client, time).ReadKeyAsync("locked", "aws-credentials", "k", default);
        // Each pass moves the clock past any wait between attempts the reader has begun.
        await Eventually.UntilAsync(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return read.IsCompleted;
        }, "the reader to give up on a Secret it is refused");
        var act = () => read;

        var e = (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which;
        e.Reason.Should().Be(ProviderCredentialsReasons.SecretForbidden);
        e.Message.Should().Contain("locked/aws-credentials").And.Contain("RBAC");
    }

    [Test]
    public async Task A_5xx_answer_propagates_so_the_caller_backs_off()
    {
        var act = () => new KubernetesSecretReader(_client).ReadKeyAsync("unavailable", "aws-credentials", "k", default);

        (await act.Should().ThrowAsync<k8s.Autorest.HttpOperationException>()).Which.Response.StatusCode
            .Should().Be(System.Net.HttpStatusCode.ServiceUnavailable);
    }

    [Test]
    public async Task Other_api_errors_are_SecretUnreadable()
    {
        var act = () => new KubernetesSecretReader(_client).ReadKeyAsync("broken", "aws-credentials", "k", default);

        (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which.Reason.Should().Be(ProviderCredentialsReasons.SecretUnreadable);
    }

    [TestCase("team-a", "../../kube-system/secrets/x", "k")]
    [TestCase("team-a", "..", "k")]
    [TestCase("team-a", "a/b", "k")]
    [TestCase("team-a", "%2e%2e", "k")]
    [TestCase("../kube-system", "x", "k")]
    [TestCase("team-a/secrets", "x", "k")]
    [TestCase("team-a", "aws-credentials", "..")]
    public async Task A_name_that_is_not_a_kubernetes_name_never_becomes_a_request(string ns, string name, string key)
    {
        var before = _paths.Count;

        var act = () => new KubernetesSecretReader(_client).ReadKeyAsync(ns, name, key, default);

        (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which.Reason.Should().Be(ProviderCredentialsReasons.InvalidSpec);
        _paths.Count.Should().Be(before, "nothing is sent to the API server");
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            _paths.Enqueue(context.Request.RawUrl ?? "");
            var (status, body) = context.Request.Url!.AbsolutePath switch
            {
                BrokenPath => (400, StatusJson(400, "BadRequest")),
                UnavailablePath => (503, StatusJson(503, "ServiceUnavailable")),
                SecretPath => (200, SecretJson()),
                ForbiddenPath => (403, StatusJson(403, "Forbidden")),
                _ => (404, StatusJson(404, "NotFound")),
            };
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    private static string SecretJson() => $$$"""
        {"apiVersion":"v1","kind":"Secret","type":"Opaque",
         "metadata":{"name":"aws-credentials","namespace":"team-a","resourceVersion":"4711"},
         "data":{"access-key-id":"{{{B64("AKIDEXAMPLE")}}}","secret-access-key":"{{{B64("wJalrXUtnFEMI/K7MDENG+bPxRfiCY\n")}}}"}}
        """;

    private static string StatusJson(int code, string reason) =>
        $$"""{"apiVersion":"v1","kind":"Status","status":"Failure","reason":"{{reason}}","code":{{code}}}""";
}

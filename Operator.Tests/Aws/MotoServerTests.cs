namespace Operator.Tests.Aws;

/// <summary>The moto fixture answers, resets, and fails loudly (never skips) when python3 or moto is missing.</summary>
public sealed class MotoServerTests
{
    [Test]
    public async Task A_missing_interpreter_fails_with_the_install_hint()
    {
        var start = () => MotoServer.StartAsync(python: "python3-that-does-not-exist");

        (await start.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("pip install 'moto[server]'");
    }

    [Test]
    public async Task A_missing_module_fails_with_the_install_hint_and_moto_output()
    {
        var start = () => MotoServer.StartAsync(module: "moto_module_that_does_not_exist.server");

        (await start.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should()
            .Contain("pip install 'moto[server]'").And.Contain("moto_module_that_does_not_exist");
    }

    [Test]
    public async Task The_shared_server_answers_and_resets()
    {
        using var lease = await AwsTestEnvironment.UseMotoAsync();
        var moto = lease.Moto;
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri(moto.Endpoint, "moto-api/"));

        response.IsSuccessStatusCode.Should().BeTrue();
        await moto.ResetAsync();
    }
}

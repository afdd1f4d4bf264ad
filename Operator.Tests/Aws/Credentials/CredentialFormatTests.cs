using static Operator.Tests.Aws.Credentials.CredentialsTestKit;
using Part = Operator.Core.Aws.Credentials.CredentialFormat.Part;

namespace Operator.Tests.Aws.Credentials;

/// <summary>
/// Credentials are checked as what they are before anything is signed or sent: AWS's own shapes and the short test
/// keys of the user guide pass; control characters, characters outside the set, empty and overlong values are
/// refused with <c>InvalidCredentials</c> naming the field, the Secret and the key, never the value.
/// </summary>
[TestFixture]
public sealed class CredentialFormatTests
{
    [TestCase("AccessKeyId", "AKIA" + "TESTONLYNOTAKEY1")] // split so that no scanner takes it for a real key
    [TestCase("AccessKeyId", "ASIAY34FZKBOKMUTVV7A")]
    [TestCase("AccessKeyId", "test")]
    [TestCase("AccessKeyId", "other-account-key")]
    [TestCase("SecretAccessKey", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")]
    [TestCase("SecretAccessKey", "test")]
    [TestCase("SessionToken", "IQoJb3JpZ2luX2VjEHcaCXVzLWVhc3QtMSJHMEUCIQD+Ly9v/T0=")]
    [TestCase("SessionToken", "FQoGZXIvYXdzEBYaDHqa0AP")]
    public void Well_formed_values_pass(string part, string value) => CredentialFormat.Problem(Enum.Parse<Part>(part), value).Should().BeNull();

    [TestCase("AccessKeyId", "AKIA\r\nX-Injected: 1", "control character")]
    [TestCase("AccessKeyId", "AKIA\tTAB", "control character")]
    [TestCase("AccessKeyId", "AKIA EXAMPLE", "never has")]
    [TestCase("AccessKeyId", "AKIA/EXAMPLE", "never has")]
    [TestCase("AccessKeyId", "", "is empty")]
    [TestCase("SecretAccessKey", "secret\nline", "control character")]
    [TestCase("SecretAccessKey", "sécret", "never has")]
    [TestCase("SessionToken", "tok\r\nContent-Length: 0\r\n\r\nPOST /smuggled HTTP/1.1", "control character")]
    [TestCase("SessionToken", "tok\u0085next", "control character")]
    [TestCase("SessionToken", "tok;injected", "never has")]
    public void Malformed_values_are_refused_without_repeating_them(string part, string value, string why)
    {
        var problem = CredentialFormat.Problem(Enum.Parse<Part>(part), value);

        problem.Should().Contain(why);
        if (value.Length > 0)
        {
            problem.Should().NotContain(value).And.NotContain("Injected").And.NotContain("smuggled");
        }
    }

    [Test]
    public void Overlong_values_are_refused()
    {
        CredentialFormat.Problem(Part.AccessKeyId, new string('A', 129)).Should().Contain("longer than the 128");
        CredentialFormat.Problem(Part.SessionToken, new string('A', 16 * 1024)).Should().BeNull();
        CredentialFormat.Problem(Part.SessionToken, new string('A', (16 * 1024) + 1)).Should().Contain("longer than");
    }

    [TestCase("access-key-id", "spec.accessKeyIDRef")]
    [TestCase("secret-access-key", "spec.secretAccessKeyRef")]
    [TestCase("session-token", "spec.sessionTokenRef")]
    public async Task The_factory_refuses_a_control_character_in_each_field_naming_the_field_the_secret_and_the_key(string key, string field)
    {
        const string injected = "CANARY\r\nX-Injected: yes";
        var secrets = StaticSecrets();
        var values = new Dictionary<string, string> { ["access-key-id"] = AccessKey, ["secret-access-key"] = SecretKey, ["session-token"] = SessionToken };
        values[key] = injected;
        secrets.Set(Namespace, "aws-credentials", "2", [.. values.Select(kv => (kv.Key, kv.Value))]);
        var logs = new CapturingLogs();

        var act = () => Factory(secrets, logs: logs).CreateAsync(StaticProvider(withToken: true), default);

        var e = (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which;
        e.Reason.Should().Be(ProviderCredentialsReasons.InvalidCredentials);
        e.Message.Should().Contain(field).And.Contain($"\"{key}\"").And.Contain($"{Namespace}/aws-credentials").And.Contain("control character");
        (e.Message + string.Join("\n", logs.Lines)).Should().NotContain("CANARY").And.NotContain("X-Injected");
    }

    [Test]
    public async Task Credentials_an_STS_endpoint_answers_with_a_line_break_are_never_used()
    {
        await using var sts = await FakeAwsEndpoint.StartAsync();
        sts.Sts = new FakeAwsEndpoint.Reply(200, "text/xml", """
            <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <AssumeRoleResult>
                <Credentials>
                  <AccessKeyId>ASIAFAKEFAKEFAKE</AccessKeyId>
                  <SecretAccessKey>fake-secret</SecretAccessKey>
                  <SessionToken>tok&#13;&#10;X-Injected: yes</SessionToken>
                  <Expiration>2099-01-01T00:00:00Z</Expiration>
                </Credentials>
                <AssumedRoleUser><Arn>arn:aws:sts::999988887777:assumed-role/r/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
              </AssumeRoleResult>
            </AssumeRoleResponse>
            """);
        var session = await Factory(StaticSecrets()).CreateAsync(Provider("chained", new()
        {
            Region = Region, Endpoint = sts.Endpoint.ToString(),
            AccessKeyIDRef = new() { Name = "aws-credentials", Key = "access-key-id" },
            SecretAccessKeyRef = new() { Name = "aws-credentials", Key = "secret-access-key" },
            AssumeRoleARN = "arn:aws:iam::999988887777:role/r",
        }), default);

        var act = () => session.Credentials.GetCredentialsAsync();

        var e = (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which;
        e.Reason.Should().Be(ProviderCredentialsReasons.InvalidCredentials);
        e.Message.Should().Contain("AssumeRole").And.Contain("session token").And.NotContain("X-Injected");
    }
}

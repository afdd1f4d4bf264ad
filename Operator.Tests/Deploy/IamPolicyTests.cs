namespace Operator.Tests.Deploy;

/// <summary>
/// iam/ holds the user guide's IRSA trust policy and ECS policy exactly, the extended policy as the guide's nine
/// actions plus exactly the four optional reads, and create-role.sh running the guide's three commands.
/// </summary>
[TestFixture]
public sealed class IamPolicyTests
{
    /// <summary>The user guide's "Trust Policy (trust-policy.json)", verbatim.</summary>
    private const string GuideTrustPolicy = """
        {
          "Version": "2012-10-17",
          "Statement": [
            {
              "Effect": "Allow",
              "Principal": {
                "Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
              },
              "Action": "sts:AssumeRoleWithWebIdentity",
              "Condition": {
                "StringEquals": {
                  "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub": "system:serviceaccount:infra-operator-system:infra-operator-controller-manager",
                  "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud": "sts.amazonaws.com"
                }
              }
            }
          ]
        }
        """;

    /// <summary>The user guide's "IAM Policy - ECS (ecs-policy.json)" actions, in its order.</summary>
    private static readonly string[] GuideActions =
    [
        "ecs:CreateCluster", "ecs:DeleteCluster", "ecs:DescribeClusters", "ecs:UpdateCluster", "ecs:UpdateClusterSettings",
        "ecs:PutClusterCapacityProviders", "ecs:TagResource", "ecs:UntagResource", "ecs:ListTagsForResource",
    ];

    /// <summary>Reads the operator can use for detail only (blocked-deletion reports, capacity-provider checks).</summary>
    private static readonly string[] OptionalActions =
        ["ecs:DescribeCapacityProviders", "ecs:ListServices", "ecs:ListTasks", "ecs:ListContainerInstances"];

    private static string IamFile(string name) => Path.Combine(RepositoryLayout.Root, "iam", name);

    private static JsonObject Load(string name) => JsonNode.Parse(File.ReadAllText(IamFile(name)))!.AsObject();

    [TestCase("trust-policy.json")]
    [TestCase("ecs-policy.json")]
    [TestCase("ecs-policy-extended.json")]
    public void Policy_is_JSON_of_the_2012_10_17_policy_language(string file)
    {
        var policy = Load(file);

        policy["Version"]!.GetValue<string>().Should().Be("2012-10-17");
        Manifest.Items(policy["Statement"]).Should().NotBeEmpty().And.OnlyContain(s => s["Effect"]!.GetValue<string>() == "Allow");
    }

    [Test]
    public void The_trust_policy_is_the_guides()
    {
        JsonNode.DeepEquals(Load("trust-policy.json"), JsonNode.Parse(GuideTrustPolicy)).Should().BeTrue();
    }

    [Test]
    public void The_ECS_policy_is_the_guides_nine_actions_on_any_resource()
    {
        var statement = Manifest.Items(Load("ecs-policy.json")["Statement"]).Should().ContainSingle().Which;

        Manifest.Strings(statement["Action"]).Should().Equal(GuideActions);
        statement["Resource"]!.GetValue<string>().Should().Be("*");
        statement.Select(p => p.Key).Should().BeEquivalentTo("Effect", "Action", "Resource");
    }

    [Test]
    public void The_extended_policy_adds_exactly_the_four_optional_reads()
    {
        var actions = Actions(Load("ecs-policy-extended.json"));

        actions.Should().BeEquivalentTo(GuideActions.Concat(OptionalActions));
        actions.Should().OnlyHaveUniqueItems();
        actions.Except(Actions(Load("ecs-policy.json"))).Should().BeEquivalentTo(OptionalActions);
        Manifest.Items(Load("ecs-policy-extended.json")["Statement"]).Should().OnlyContain(s => s["Resource"]!.GetValue<string>() == "*");
    }

    [Test]
    public void The_README_says_what_each_optional_action_buys_and_that_denial_only_degrades()
    {
        var readme = File.ReadAllText(IamFile("README.md"));

        foreach (var action in OptionalActions)
        {
            readme.Should().Contain($"| `{action}` |", $"the README explains {action} in its table");
        }
        readme.Should().Contain("never fails a reconcile");
    }

    [Test]
    public async Task Create_role_runs_the_guides_three_commands_with_the_guides_values_by_default()
    {
        var render = Directory.CreateTempSubdirectory("iam-");
        try
        {
            var lines = await RunScriptAsync(new Dictionary<string, string> { ["DRY_RUN"] = "1", ["RENDER_DIR"] = render.FullName });
            var trust = Path.Combine(render.FullName, "trust-policy.json");

            lines.Should().Equal(
                $"aws iam create-role --role-name infra-operator-ecs-role --assume-role-policy-document file://{trust}",
                $"aws iam put-role-policy --role-name infra-operator-ecs-role --policy-name ecs-policy --policy-document file://{IamFile("ecs-policy.json")}",
                "kubectl annotate serviceaccount infra-operator-controller-manager -n infra-operator-system --overwrite "
                    + "eks.amazonaws.com/role-arn=arn:aws:iam::123456789012:role/infra-operator-ecs-role");
            JsonNode.DeepEquals(JsonNode.Parse(await File.ReadAllTextAsync(trust)), JsonNode.Parse(GuideTrustPolicy)).Should().BeTrue(
                "with the defaults the rendered trust policy is the guide's");
        }
        finally
        {
            render.Delete(recursive: true);
        }
    }

    [Test]
    public async Task Create_role_puts_your_account_and_OIDC_provider_in_the_trust_policy()
    {
        var render = Directory.CreateTempSubdirectory("iam-");
        try
        {
            const string provider = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF";
            var lines = await RunScriptAsync(new Dictionary<string, string>
            {
                ["DRY_RUN"] = "1",
                ["RENDER_DIR"] = render.FullName,
                ["ACCOUNT_ID"] = "111122223333",
                ["OIDC_PROVIDER"] = provider,
                ["ROLE_NAME"] = "ecs-operator",
                ["POLICY_FILE"] = "ecs-policy-extended.json",
            });
            var trust = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(render.FullName, "trust-policy.json")))!;
            var statement = trust["Statement"]![0]!;
            var conditions = Manifest.StringMap(statement["Condition"]!["StringEquals"]);

            statement["Principal"]!["Federated"]!.GetValue<string>().Should().Be($"arn:aws:iam::111122223333:oidc-provider/{provider}");
            conditions.Should().Equal(new Dictionary<string, string>
            {
                [$"{provider}:sub"] = "system:serviceaccount:infra-operator-system:infra-operator-controller-manager",
                [$"{provider}:aud"] = "sts.amazonaws.com",
            });
            lines[1].Should().EndWith($"--policy-document file://{IamFile("ecs-policy-extended.json")}");
            lines[2].Should().EndWith("eks.amazonaws.com/role-arn=arn:aws:iam::111122223333:role/ecs-operator");
        }
        finally
        {
            render.Delete(recursive: true);
        }
    }

    private static IReadOnlyList<string> Actions(JsonObject policy) =>
        [.. Manifest.Items(policy["Statement"]).SelectMany(s => s["Action"] is JsonArray a ? Manifest.Strings(a) : [s["Action"]!.GetValue<string>()])];

    /// <summary>Runs iam/create-role.sh with bash, bounded by a timeout that kills it; returns its stdout lines.</summary>
    private static async Task<IReadOnlyList<string>> RunScriptAsync(IReadOnlyDictionary<string, string> env)
    {
        var psi = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(IamFile("create-role.sh"));
        foreach (var name in new[] { "ACCOUNT_ID", "OIDC_PROVIDER", "ROLE_NAME", "POLICY_NAME", "POLICY_FILE", "NAMESPACE", "SERVICE_ACCOUNT", "DRY_RUN", "RENDER_DIR" })
        {
            psi.Environment.Remove(name);
        }
        foreach (var (key, value) in env)
        {
            psi.Environment[key] = value;
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("create-role.sh did not finish within 30 s");
        }
        process.ExitCode.Should().Be(0, await stderr);
        return (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}

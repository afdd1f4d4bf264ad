using Operator.Core.Api.V1Alpha1;
using Operator.Core.Text;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// Failures are visible, and visible safely, through the production host's logging: the Event sender is a supervised
/// runnable (its death stops the process and fails /healthz instead of dropping every later Event), and a crashed
/// runnable or a reconcile that fails unexpectedly (InternalError) is logged with its stack trace, while a secret its
/// exception's message carries never reaches a log line.
/// The test that asserts the exit code runs alone ([NonParallelizable] on the test): Environment.ExitCode is
/// process-wide, and a failing host in a test running meanwhile would set it.
/// </summary>
[TestFixture]
public sealed class VisibleFailureTests
{
    /// <summary>An AWS secret access key (the documentation's example): what a careless message might carry.</summary>
    private const string Canary = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    [SetUp]
    [TearDown]
    public void RestoreExitCode() => Environment.ExitCode = 0;

    [Test]
    [NonParallelizable]
    public async Task The_event_sender_dying_stops_the_operator_and_fails_healthz_with_its_stack_logged_and_no_secret()
    {
        await using var bed = await OperatorTestBed.StartAsync(services: s => s.AddSingleton(sp => new EventRecorder(
            BrokenEventsClient((k8s.Kubernetes)sp.GetRequiredService<IKubernetes>()), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<EventRecorder>>(), sp.GetRequiredService<IMeterFactory>())));
        using var http = new HttpClient { BaseAddress = bed.OperatorAddress };
        (await http.GetAsync("/healthz")).StatusCode.Should().Be(HttpStatusCode.OK);

        await bed.App!.Services.GetRequiredService<IEventRecorder>().RecordAsync(Subject(), EventSeverity.Warning, "Test", "an event", CancellationToken.None);

        // The test bed starts the host without RunAsync, so the web server keeps answering after the stop request.
        await Eventually.UntilAsync(() => bed.App!.Lifetime.ApplicationStopping.IsCancellationRequested, "the host asked to stop");
        Environment.ExitCode.Should().Be(1);
        using (var health = await http.GetAsync("/healthz"))
        {
            health.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
            (await health.Content.ReadAsStringAsync()).Should().Contain("event-recorder").And.NotContain(Canary);
        }
        var critical = bed.Logs.Lines.Where(l => l.StartsWith("Critical", StringComparison.Ordinal) && l.Contains("event-recorder", StringComparison.Ordinal)).ToList();
        critical.Should().ContainSingle();
        critical[0].Should().Contain($"at {typeof(FailingEventsHandler).FullName!.Replace('+', '.')}.SendAsync", "the crash is logged with its stack")
            .And.Contain(ExceptionText.Withheld);
        bed.Logs.All.Should().NotContain(Canary);
    }

    [Test]
    public async Task A_reconcile_failing_unexpectedly_is_logged_with_its_stack_and_no_secret()
    {
        await using var bed = await OperatorTestBed.StartAsync(services: s => s.AddController<ECSCluster>("ecscluster", c => c
            .Reconciler((_, _) => new InternalErrorReconciler())));
        await bed.Kube.CreateClusterAsync("default", "failing");

        await Eventually.UntilAsync(() => bed.Logs.Lines.Any(l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("Reconcile failed", StringComparison.Ordinal)),
            "the failed reconcile logged");
        var error = bed.Logs.Lines.First(l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("Reconcile failed", StringComparison.Ordinal));
        error.Should().Contain(ReconcileFailure.InternalError)
            .And.Contain($"at {typeof(InternalErrorReconciler).FullName!.Replace('+', '.')}.Fail", "the frames of the original exception are kept")
            .And.Contain(ExceptionText.Withheld);
        bed.Logs.All.Should().NotContain(Canary);
    }

    private static V1ConfigMap Subject() => new()
    {
        ApiVersion = "v1", Kind = "ConfigMap",
        Metadata = new V1ObjectMeta { Name = "subject", NamespaceProperty = "default", Uid = Guid.NewGuid().ToString() },
    };

    /// <summary>A client of the same API server whose Event requests fail with an error the sender does not expect.</summary>
    private static OperatorKubernetesClient BrokenEventsClient(k8s.Kubernetes working) =>
        new(new KubernetesClientConfiguration { Host = working.BaseUri.ToString().TrimEnd('/') }, EcsOperatorModule.Json, new FailingEventsHandler());

    private sealed class FailingEventsHandler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            request.RequestUri!.AbsolutePath.Contains("/events", StringComparison.Ordinal)
                ? throw new InvalidOperationException($"the sender lost its signing key {Canary}")
                : base.SendAsync(request, cancellationToken);
    }

    /// <summary>Fails as a reconciler's last catch does for an unforeseen exception: InternalError, the original inside.</summary>
    private sealed class InternalErrorReconciler : IReconciler
    {
        public Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
        {
            try
            {
                Fail();
                return Task.FromResult(ReconcileResult.Done);
            }
            catch (Exception e)
            {
                throw ReconcileFailure.Of(e).ToException(e);
            }
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static void Fail() => throw new InvalidOperationException($"password={Canary}");
    }
}

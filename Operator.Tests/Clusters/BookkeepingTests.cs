namespace Operator.Tests.Clusters;

/// <summary>
/// Per-object bookkeeping follows the live objects: the event recorder's spam budgets and the ownership gate's
/// per-name locks return to what the live objects need once objects are deleted, so memory does not grow with every
/// object ever seen. Over the wire (the real operator against the emulators) for the recorder, and with many
/// concurrent lockers for the gate.
/// </summary>
[TestFixture]
public sealed class BookkeepingTests
{
    [Test]
    public async Task Event_budgets_and_ownership_locks_return_to_the_live_objects_after_deletes()
    {
        // No grace for a missing provider: the Warnings (and their budgets) are what this test counts, not the 30 s
        // during which a provider applied together may still be on its way.
        await using var bed = await OperatorTestBed.StartAsync(services: s => s.AddSingleton(new ClusterReconcilerOptions { ProviderGrace = TimeSpan.Zero }));
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        var recorder = (EventRecorder)bed.App!.Services.GetRequiredService<IEventRecorder>();
        var gate = bed.App.Services.GetRequiredService<OwnershipGate>();

        // Warned objects (their provider does not exist: one Warning each, hence one budget each) and healthy ones
        // (only lifecycle events, which take no budget, but each passes through the ownership gate).
        var warned = Enumerable.Range(0, 12).Select(i => $"warned-{i}").ToArray();
        var healthy = Enumerable.Range(0, 6).Select(i => $"healthy-{i}").ToArray();
        var uids = new List<string>();
        foreach (var name in warned)
        {
            uids.Add((await bed.Kube.CreateClusterAsync("default", name, provider: "missing")).Metadata.Uid);
        }
        foreach (var name in healthy)
        {
            uids.Add((await bed.Kube.CreateClusterAsync("default", name)).Metadata.Uid);
        }
        foreach (var name in healthy)
        {
            await bed.WaitReadyAsync("default", name);
        }
        await UntilCountAsync(() => uids.Take(warned.Length).Count(u => recorder.BudgetsOf(u) > 0), warned.Length, "a spam budget for each warned object");

        foreach (var name in warned.Concat(healthy))
        {
            await bed.Kube.DeleteClusterAsync("default", name);
        }
        foreach (var name in warned.Concat(healthy))
        {
            await bed.WaitGoneAsync("default", name);
        }

        // What is left belongs to the live objects (the provider), none to a deleted one.
        var provider = (await bed.GetProviderAsync("default", "p"))!.Metadata.Uid;
        await UntilCountAsync(() => uids.Sum(recorder.BudgetsOf), 0, "spam budgets of the deleted objects");
        recorder.Tracked.Budgets.Should().Be(recorder.BudgetsOf(provider), "only the live objects' budgets are kept");
        await UntilCountAsync(() => gate.TrackedNames, 0, "ownership locks once no reconcile is in the gate");
    }

    /// <summary>Waits for <paramref name="count"/> to reach <paramref name="expected"/>; on time-out says what it was.</summary>
    private static Task UntilCountAsync(Func<int> count, int expected, string what) =>
        Eventually.UntilAsync(() => count() == expected, () => $"{what} to be {expected} (still {count()})");

    [Test]
    public async Task Ownership_locks_exclude_per_name_and_are_dropped_when_the_last_user_leaves()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var gate = new OwnershipGate(null!);
        var names = Enumerable.Range(0, 5).Select(i => $"c{i}").ToArray();
        var inside = new int[names.Length];
        var violations = 0;
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var work = Enumerable.Range(0, 200).Select(i => (Name: random.Next(names.Length), Cancel: random.Next(10) == 0, Yield: random.Next(3))).ToArray();
        await Task.WhenAll(work.Select(w => Task.Run(async () =>
        {
            if (w.Cancel)
            {
                // A waiter that gives up must leave no lock behind either.
                try
                {
                    using var _ = await gate.LockAsync("a", "r", names[w.Name], cancelled.Token);
                }
                catch (OperationCanceledException)
                {
                }
                return;
            }
            using (await gate.LockAsync("a", "r", names[w.Name], CancellationToken.None))
            {
                if (Interlocked.Increment(ref inside[w.Name]) != 1)
                {
                    Interlocked.Increment(ref violations);
                }
                for (var y = 0; y < w.Yield; y++)
                {
                    await Task.Yield();
                }
                Interlocked.Decrement(ref inside[w.Name]);
            }
        })));

        violations.Should().Be(0, $"one holder per name at a time (seed {seed})");
        gate.TrackedNames.Should().Be(0, $"no lock kept once nobody holds or awaits it (seed {seed})");
    }
}

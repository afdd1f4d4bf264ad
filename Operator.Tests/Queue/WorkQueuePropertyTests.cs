using FsCheck;
using FsCheck.Fluent;
using Operator.Core.Queue;

namespace Operator.Tests.Queue;

/// <summary>
/// Model-based property: for any sequence of Add / Get / Done / repeated Done, the queue hands out exactly the items
/// a reference model of client-go's dirty+processing algorithm hands out, never leases a key twice at once, and
/// once every lease is done and the queue is drained, no added item is left unprocessed.
/// </summary>
[TestFixture]
public sealed class WorkQueuePropertyTests
{
    private enum Op
    {
        Add,
        Get,
        Done,
        DoneAgain,
    }

    [Test]
    public void Any_sequence_of_operations_matches_the_client_go_model()
    {
        Gen<(Op, int)> step = Gen.Zip(Gen.Elements(Op.Add, Op.Add, Op.Get, Op.Done, Op.DoneAgain), Gen.Choose(0, 5));
        Arbitrary<(Op, int)[]> steps = Gen.ArrayOf(step).ToArbitrary();

        Prop.ForAll(steps, Run).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    private static bool Run((Op Op, int Arg)[] steps)
    {
        using WorkQueue<string> queue = new FakeTimeProvider().NewQueue();
        var modelQueue = new List<string>();
        var modelDirty = new HashSet<string>();
        var modelProcessing = new HashSet<string>();
        var held = new List<WorkItem<string>>();
        var finished = new List<WorkItem<string>>();
        var addedSinceLastStart = new HashSet<string>();

        foreach ((Op op, int arg) in steps)
        {
            string key = $"k{arg}";
            switch (op)
            {
                case Op.Add:
                    queue.Add(key);
                    addedSinceLastStart.Add(key);
                    if (modelDirty.Add(key) && !modelProcessing.Contains(key))
                    {
                        modelQueue.Add(key);
                    }

                    break;
                case Op.Get when modelQueue.Count > 0:
                    WorkItem<string> lease = queue.GetReady();
                    string expected = modelQueue[0];
                    modelQueue.RemoveAt(0);
                    modelDirty.Remove(expected);
                    if (lease.Item != expected || !modelProcessing.Add(expected))
                    {
                        return false; // wrong order, or a key leased twice at once
                    }

                    addedSinceLastStart.Remove(expected);
                    held.Add(lease);
                    break;
                case Op.Get:
                    if (queue.Len != 0)
                    {
                        return false;
                    }

                    break;
                case Op.Done when held.Count > 0:
                    WorkItem<string> done = held[arg % held.Count];
                    held.Remove(done);
                    done.Dispose();
                    finished.Add(done);
                    modelProcessing.Remove(done.Item);
                    if (modelDirty.Contains(done.Item))
                    {
                        modelQueue.Add(done.Item);
                    }

                    break;
                case Op.DoneAgain when finished.Count > 0:
                    finished[arg % finished.Count].Dispose(); // must change nothing
                    break;
            }

            if (queue.Len != modelQueue.Count)
            {
                return false;
            }
        }

        foreach (WorkItem<string> lease in held)
        {
            lease.Dispose();
        }

        // Liveness: processing whatever is ready until the queue is empty covers every add.
        while (queue.Len > 0)
        {
            using WorkItem<string> lease = queue.GetReady();
            addedSinceLastStart.Remove(lease.Item);
        }

        return addedSinceLastStart.Count == 0 && !queue.GetAsync().IsCompleted;
    }
}

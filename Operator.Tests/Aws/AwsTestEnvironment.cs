namespace Operator.Tests.Aws;

/// <summary>
/// Owns the one moto process shared by every AWS test (started on first use, killed after the last test of this
/// namespace). A missing python3/moto makes the tests that need it fail with the installer's hint.
/// Fixtures run in parallel and moto's state is global (a reset wipes every account), so a user of the shared server
/// must hold <see cref="UseMotoAsync"/>'s lease for as long as it relies on moto's state, and dispose it after.
/// </summary>
[SetUpFixture]
// Without it, NUnit holds this namespace's fixtures back until every other parallel fixture has finished; the tests
// of each fixture still run one at a time.
[Parallelizable(ParallelScope.Self | ParallelScope.Fixtures)]
public sealed class AwsTestEnvironment
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly SemaphoreSlim Exclusive = new(1, 1);
    private static MotoServer? s_moto;

    /// <summary>The shared server, for this caller alone until the lease is disposed.</summary>
    internal static async Task<MotoLease> UseMotoAsync()
    {
        await Exclusive.WaitAsync();
        try
        {
            return new MotoLease(await MotoAsync());
        }
        catch
        {
            Exclusive.Release();
            throw;
        }
    }

    private static async Task<MotoServer> MotoAsync()
    {
        await Gate.WaitAsync();
        try
        {
            return s_moto ??= await MotoServer.StartAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    internal static void ReleaseMoto() => Exclusive.Release();

    [OneTimeTearDown]
    public async Task StopMoto()
    {
        if (s_moto is not null)
        {
            await s_moto.DisposeAsync();
            s_moto = null;
        }
    }
}

/// <summary>Exclusive use of the shared moto server; disposing it (once) lets the next user in.</summary>
internal sealed class MotoLease(MotoServer moto) : IDisposable
{
    private int _disposed;

    public MotoServer Moto { get; } = moto;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            AwsTestEnvironment.ReleaseMoto();
        }
    }
}

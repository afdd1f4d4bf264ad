using Operator.Testing.Aws;

namespace Operator.Tests.Aws;

/// <summary>
/// Owns the one moto process shared by every AWS test (started on first use, killed after the last test of this
/// namespace). A missing python3/moto makes the tests that need it fail with the installer's hint.
/// </summary>
[SetUpFixture]
public sealed class AwsTestEnvironment
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static MotoServer? _moto;

    internal static async Task<MotoServer> MotoAsync()
    {
        await Gate.WaitAsync();
        try
        {
            return _moto ??= await MotoServer.StartAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    [OneTimeTearDown]
    public async Task StopMoto()
    {
        if (_moto is not null)
        {
            await _moto.DisposeAsync();
            _moto = null;
        }
    }
}

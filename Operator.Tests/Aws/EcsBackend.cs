namespace Operator.Tests.Aws;

/// <summary>
/// One ECS peer for the contract tests: moto (the real third-party emulator) or the in-repo emulator. Both are
/// reached through the same signed HTTP client; only the endpoint and keys differ. A moto backend holds the shared
/// server's lease (no other fixture resets moto under it) until it is disposed.
/// </summary>
internal sealed class EcsBackend : IAsyncDisposable
{
    public const string Moto = "moto";
    public const string Emulator = "emulator";
    public const string Region = "us-east-1";

    private readonly MotoLease? _motoLease;

    private EcsBackend(string name, Uri endpoint, AWSCredentials credentials, string accountId, AwsEmulator? emulator, MotoLease? moto)
    {
        _motoLease = moto;
        Name = name;
        Endpoint = endpoint;
        Credentials = credentials;
        AccountId = accountId;
        AwsEmulator = emulator;
        MotoServer = moto?.Moto;
        Http = new HttpClient();
    }

    public string Name { get; }
    public Uri Endpoint { get; }
    public AWSCredentials Credentials { get; }
    public string AccountId { get; }
    public AwsEmulator? AwsEmulator { get; }
    public MotoServer? MotoServer { get; }
    public HttpClient Http { get; }

    public static async Task<EcsBackend> StartAsync(string name, AwsEmulatorOptions? options = null)
    {
        if (name == Moto)
        {
            var moto = await AwsTestEnvironment.UseMotoAsync();
            return new EcsBackend(name, moto.Moto.Endpoint, new BasicAWSCredentials("AKIDMOTOCONTRACT0001", "moto-contract-secret"), MotoServer.AccountId, null, moto);
        }

        var emulator = await AwsEmulator.StartAsync(options);
        return new EcsBackend(name, emulator.Endpoint,
            new BasicAWSCredentials(AwsCredentialStore.DefaultAccessKeyId, AwsCredentialStore.DefaultSecretAccessKey),
            AwsCredentialStore.DefaultAccountId, emulator, null);
    }

    public EcsClient CreateClient(AWSCredentials? credentials = null, TimeProvider? time = null) =>
        new(Http, credentials ?? Credentials, new EcsClientOptions { Region = Region, Endpoint = Endpoint }, time);

    public async Task ResetAsync()
    {
        if (MotoServer is not null)
        {
            await MotoServer.ResetAsync();
        }

        AwsEmulator?.Reset();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        _motoLease?.Dispose();
        if (AwsEmulator is not null)
        {
            await AwsEmulator.DisposeAsync();
        }
    }
}

using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.Aws.Credentials;

/// <summary>Fakes and builders shared by the credentials tests.</summary>
internal static class CredentialsTestKit
{
    public const string Namespace = "team-a";
    public const string Region = "us-east-1";
    public const string AccessKey = "AKIDLEAKCHECKACCESS1";
    public const string SecretKey = "leak-check-secret-key-9f3a7c1e5b";
    public const string SessionToken = "leak-check-session-token-44d2e8a0";

    public static AWSProvider StaticProvider(string name = "static", string? endpoint = null, bool withToken = false) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace, Uid = "uid-" + name, Generation = 1 },
        Spec = new AWSProviderSpec
        {
            Region = Region,
            Endpoint = endpoint,
            AccessKeyIDRef = new SecretKeyReference { Name = "aws-credentials", Key = "access-key-id" },
            SecretAccessKeyRef = new SecretKeyReference { Name = "aws-credentials", Key = "secret-access-key" },
            SessionTokenRef = withToken ? new SecretKeyReference { Name = "aws-credentials", Key = "session-token" } : null,
        },
    };

    public static AWSProvider Provider(string name, AWSProviderSpec spec) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace, Uid = "uid-" + name, Generation = 1 },
        Spec = spec,
    };

    public static FakeSecretReader StaticSecrets() => new FakeSecretReader()
        .Set(Namespace, "aws-credentials", "1", ("access-key-id", AccessKey), ("secret-access-key", SecretKey + "\n"),
            ("session-token", SessionToken));

    public static AwsEnvironment Environment(string? tokenFile = null) => new(
        name => name == AwsEnvironment.WebIdentityTokenFileVariable ? tokenFile : null,
        File.Exists);

    public static StsClientOptions FastSts { get; } = new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(2), RequestTimeout = TimeSpan.FromSeconds(5), MaxErrorRetry = 2,
    };

    public static AwsCredentialsFactory Factory(
        ISecretReader secrets, AwsEnvironment? env = null, Func<AWSCredentials>? defaultChain = null,
        TimeProvider? time = null, ILoggerFactory? logs = null, ProviderPolicy? policy = null) =>
        new(secrets, new StsClientFactory(FastSts), env ?? Environment(),
            defaultChain ?? (() => new BasicAWSCredentials("AKIDDEFAULTCHAIN0001", "default-chain-secret")),
            policy ?? ProviderPolicy.AllowAll, time ?? TimeProvider.System, (logs ?? CapturingLogs.Null).CreateLogger<AwsCredentialsFactory>());

    public static FakeTimeProvider FakeNow() => new(DateTimeOffset.UtcNow);
}

/// <summary>An in-memory <see cref="ISecretReader"/> with the same error contract as the Kubernetes one.</summary>
internal sealed class FakeSecretReader : ISecretReader
{
    private readonly ConcurrentDictionary<(string Ns, string Name), (Dictionary<string, string> Data, string Rv)> _secrets = new();
    private int _reads;

    public int Reads => _reads;

    public FakeSecretReader Set(string ns, string name, string resourceVersion, params (string Key, string Value)[] data)
    {
        _secrets[(ns, name)] = (data.ToDictionary(d => d.Key, d => d.Value), resourceVersion);
        return this;
    }

    public void Remove(string ns, string name) => _secrets.TryRemove((ns, name), out _);

    public Task<SecretKeyValue> ReadKeyAsync(string ns, string name, string key, CancellationToken ct)
    {
        Interlocked.Increment(ref _reads);
        if (!_secrets.TryGetValue((ns, name), out var secret))
        {
            throw new ProviderCredentialsException(ProviderCredentialsReasons.SecretNotFound, $"Secret {ns}/{name} not found");
        }

        if (!secret.Data.TryGetValue(key, out var value))
        {
            throw new ProviderCredentialsException(ProviderCredentialsReasons.SecretKeyNotFound,
                $"Secret {ns}/{name} has no key \"{key}\"");
        }

        return Task.FromResult(new SecretKeyValue(value, secret.Rv));
    }
}

/// <summary>Collects every formatted log line and exception text written through it.</summary>
internal sealed class CapturingLogs : ILoggerFactory, ILoggerProvider
{
    public static readonly ILoggerFactory Null = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;

    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            owner._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var (k, v) in pairs)
                {
                    owner._lines.Enqueue($"  {k}={v}");
                }
            }
        }
    }
}

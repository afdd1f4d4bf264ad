using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Kubernetes;

namespace Operator.Core.Aws.Credentials;

/// <inheritdoc cref="IAwsCredentialsCache"/>
/// <remarks>
/// A cached session is reused while the provider's uid and generation match and no <see cref="Invalidate"/> came
/// after it was built. After <see cref="SecretRecheckInterval"/> the next call rebuilds (re-reading the Secrets) and
/// keeps the old session when the version is unchanged, so assumed-role credentials are not thrown away for nothing.
/// Failed builds are not cached. Replaced sessions are not disposed: callers may still be signing with them.
/// </remarks>
internal sealed partial class AwsCredentialsCache(
    IProviderSessionFactory factory, TimeProvider time, ILogger<AwsCredentialsCache> logger,
    TimeSpan? secretRecheckInterval = null) : IAwsCredentialsCache
{
    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    public TimeSpan SecretRecheckInterval { get; } = secretRecheckInterval ?? TimeSpan.FromMinutes(10);

    public async Task<ProviderSession> GetAsync(AWSProvider provider, CancellationToken ct)
    {
        var key = ObjectKey.Of(provider);
        var slot = _slots.GetOrAdd(key, static _ => new Slot());
        if (Fresh(slot, provider) is { } cached)
        {
            return cached;
        }

        await slot.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (Fresh(slot, provider) is { } built)
            {
                return built;
            }

            var epoch = Volatile.Read(ref slot.Epoch);
            var previous = slot.Current;
            var session = await factory.CreateAsync(provider, ct).ConfigureAwait(false);
            if (previous is not null && previous.Session.Version == session.Version)
            {
                session = previous.Session;
            }
            else
            {
                logger.LogInformation("Credentials for provider {Provider} (re)built: {Source}, version {Version}",
                    key, session.Source, session.Version);
            }

            slot.Current = new Entry(provider.Metadata.Uid, provider.Metadata.Generation, epoch, time.GetUtcNow(), session);
            return session;
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    public void Invalidate(string providerKey)
    {
        if (_slots.TryGetValue(providerKey, out var slot))
        {
            Interlocked.Increment(ref slot.Epoch);
            logger.LogDebug("Credentials for provider {Provider} invalidated", providerKey);
        }
    }

    private ProviderSession? Fresh(Slot slot, AWSProvider provider)
    {
        var entry = slot.Current;
        return entry is not null
            && entry.Epoch == Volatile.Read(ref slot.Epoch)
            && entry.Uid == provider.Metadata.Uid
            && entry.Generation == provider.Metadata.Generation
            && time.GetUtcNow() - entry.BuiltAt < SecretRecheckInterval
            ? entry.Session
            : null;
    }

    private sealed record Entry(string? Uid, long? Generation, int Epoch, DateTimeOffset BuiltAt, ProviderSession Session);

    // Slots are never removed so that single-flight holds across invalidations; one is a few dozen bytes per provider
    // key ever seen.
    private sealed class Slot
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public volatile Entry? Current;
        public int Epoch;
    }
}

namespace Operator.Tests.Support;

/// <summary>Waits on a condition with a generous time-out, polling; never a fixed sleep standing in for a condition.</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(condition, () => what, timeout);

    /// <summary>As the other overload; <paramref name="what"/> is computed on time-out, so it can say what was seen.</summary>
    public static async Task UntilAsync(Func<bool> condition, Func<string> what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what()}");
            }
            await Task.Delay(20);
        }
    }

    public static Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, TimeSpan? poll = null) =>
        UntilAsync(condition, () => what, timeout, poll);

    /// <summary>
    /// As the other overloads, for a condition that must be read over the wire. <paramref name="what"/> is computed on
    /// time-out; <paramref name="poll"/> (50 ms by default) spaces the reads of a condition that is costly to read or
    /// that must hold on several reads in a row. The condition may throw (an assertion that must fail at once).
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, Func<string> what, TimeSpan? timeout = null, TimeSpan? poll = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what()}");
            }
            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(50));
        }
    }
}

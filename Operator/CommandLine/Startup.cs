using System.Net.Sockets;
using k8s.Exceptions;
using Microsoft.AspNetCore.Connections;

namespace Operator.CommandLine;

/// <summary>
/// The shape both executables share around their run: <c>--help</c> prints the flags and returns 0 before anything
/// is built (no kubeconfig is read); a <see cref="UsageException"/> (unknown flag, bad value, contradicting settings)
/// prints one line and returns 2; a failure to start that the user can fix (a port in use, a kubeconfig that cannot
/// be read, a <see cref="StartupException"/>) prints one line and returns 1. Anything else propagates as it would without this wrapper.
/// </summary>
internal static class Startup
{
    public static async Task<int> RunAsync(string[] args, string usage, IReadOnlyList<FlagSection> sections, Func<Task<int>> run)
    {
        try
        {
            if (FlagParser.Parse(args, [.. sections.SelectMany(s => s.Flags)]).ShowHelp)
            {
                await Console.Out.WriteAsync(FlagParser.Help(usage, sections)).ConfigureAwait(false);
                return 0;
            }
            return await run().ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return UsageException.ExitCode;
        }
        catch (StartupException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return StartupException.ExitCode;
        }
        catch (Exception e) when (StartFailure(e) is { } message)
        {
            await Console.Error.WriteLineAsync($"error: {message}").ConfigureAwait(false);
            return StartupException.ExitCode;
        }
    }

    /// <summary>One line for a start-up failure the user can fix, or null.</summary>
    private static string? StartFailure(Exception e) => e switch
    {
        IOException { InnerException: AddressInUseException } => $"{e.Message.TrimEnd('.')} (another process holds the port; choose another with its flag)",
        AddressInUseException => $"{e.Message.TrimEnd('.')} (another process holds the port; choose another with its flag)",
        IOException { InnerException: SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } } => e.Message,
        KubeConfigException => $"cannot read the kubeconfig: {e.Message.ReplaceLineEndings(" ")} (give one with --kubeconfig)",
        _ => null,
    };
}

namespace Operator.Tests.Support;

/// <summary>
/// The environment the process-level tests give the real aws CLI: the same CLI a shell finds, each call paying only for
/// the CLI's own start-up. A call's time is the Python start-up of the CLI (the emulator answers in milliseconds); a
/// version manager's shim in front of it (pyenv's `aws` runs its bash scripts to pick the Python version on every call,
/// about half as long again) is resolved once, with the manager's own `which`, to the executable it would run, whose
/// directory then goes first on PATH. The CLI is also told to look for neither the instance-metadata endpoint nor a
/// pager. The commands and their arguments stay as written.
/// </summary>
internal static class AwsCli
{
    private static readonly Lazy<string?> ResolvedDirectory = new(Resolve);

    public static void Configure(IDictionary<string, string?> environment)
    {
        if (ResolvedDirectory.Value is { } directory)
        {
            environment["PATH"] = directory + Path.PathSeparator + (environment.TryGetValue("PATH", out var path) ? path : "");
        }
        environment["AWS_EC2_METADATA_DISABLED"] = "true";
        environment["AWS_PAGER"] = "";
    }

    /// <summary>The directory of the executable the `aws` shim runs from the repository root; null when there is no shim.</summary>
    private static string? Resolve()
    {
        var info = new ProcessStartInfo("bash", ["-c", "command -v pyenv >/dev/null 2>&1 && pyenv which aws 2>/dev/null"])
        {
            WorkingDirectory = RepositoryLayout.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return process.ExitCode == 0 && File.Exists(output) ? Path.GetDirectoryName(output) : null;
    }
}

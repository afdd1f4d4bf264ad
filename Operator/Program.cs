using Operator.CommandLine;
using Operator.Hosting;

// The production host runs the operator against a real cluster. A leading `run` (what the Deployment and the image
// pass) is accepted and ignored; local mode is its own executable, Operator.Local, so this binary carries no emulator.
// Exit codes: 0 after a clean stop (and for --help), 2 for a command line or setting it cannot run with (one line on
// stderr naming it), 1 when it cannot start (a port in use, no kubeconfig: one line) or when it stops on a failure.
if (args.Length > 0 && !args[0].StartsWith('-') && args[0] != "run")
{
    await Console.Error.WriteLineAsync($"unknown mode '{args[0]}': the operator takes only flags (see --help; local mode is `dotnet run --project Operator.Local`)");
    return UsageException.ExitCode;
}
var rest = args.Length > 0 && args[0] == "run" ? args[1..] : args;
return await Startup.RunAsync(rest, OperatorFlags.Usage, [new FlagSection("Flags:", OperatorFlags.All)], async () =>
{
    await OperatorHost.Build(rest, EcsOperatorModule.Register).RunAsync();
    return Environment.ExitCode;
});

using Operator.Hosting;

// The production host runs the operator against a real cluster. A leading `run` (what the Deployment and the image
// pass) is accepted and ignored; local mode is its own executable, Operator.Local, so this binary carries no emulator.
if (args.Length > 0 && !args[0].StartsWith('-') && args[0] != "run")
{
    await Console.Error.WriteLineAsync($"unknown mode '{args[0]}': the operator takes only flags (local mode is `dotnet run --project Operator.Local`)");
    return 2;
}
var rest = args.Length > 0 && args[0] == "run" ? args[1..] : args;
await OperatorHost.Build(rest, EcsOperatorModule.Register).RunAsync();
return Environment.ExitCode;

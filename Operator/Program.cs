using Operator.Hosting;
using Operator.Local;

// `run` (what the Deployment uses) runs the operator against a real cluster; `local`, the default, runs it on a laptop
// against the in-process Kubernetes API and ECS emulators.
var mode = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "local";
var rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;
switch (mode)
{
    case "run":
        await OperatorHost.Build(rest, EcsOperatorModule.Register).RunAsync();
        return Environment.ExitCode;
    case "local":
        return await LocalMode.RunAsync(rest);
    default:
        await Console.Error.WriteLineAsync($"unknown mode '{mode}': use 'local' (default) or 'run'");
        return 2;
}

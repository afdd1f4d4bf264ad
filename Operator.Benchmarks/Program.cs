using BenchmarkDotNet.Running;
using Operator.Benchmarks.Scenarios;

// `scenarios [--clusters N] …` runs the end-to-end scale scenarios (docs/benchmarks.md); anything else goes to
// BenchmarkDotNet's switcher for the micro-benchmarks.
if (args.Length > 0 && args[0] == "scenarios")
{
    return await ScenarioRunner.RunAsync(args[1..]);
}
BenchmarkSwitcher.FromAssembly(typeof(ScenarioRunner).Assembly).Run(args);
return 0;

// Test fixtures run in parallel with each other; the tests of one fixture run one at a time, in one fixture instance.
// Most of the suite waits (on emulated AWS, on operator requeues, on external processes such as kubectl, the aws CLI
// and `dotnet run`), so a few more workers than the 2 cores of CI overlap those waits without starving the CPU.
// A fixture that touches process-wide state (Environment.ExitCode, real lease timing against every other fixture's
// CPU use) is marked [NonParallelizable] and runs alone, after the parallel ones.
[assembly: Parallelizable(ParallelScope.Fixtures)]
[assembly: LevelOfParallelism(3)]

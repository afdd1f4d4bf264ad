// Test fixtures run in parallel with each other; the tests of one fixture run one at a time, in one fixture instance.
// Most of the suite waits (on emulated AWS, on operator requeues and Lease timings, on external processes such as
// kubectl, the aws CLI, operator processes and `dotnet run`): the test host uses about a tenth of the 2 cores of CI, so
// twice as many workers as before overlap those waits without starving the CPU.
// A test or fixture that relies on process-wide state (Environment.ExitCode; the repository's build outputs) is marked
// [NonParallelizable] and runs alone, after the parallel ones. Timing is no reason to run alone: every test must pass
// on a busy machine (CI runs the suite under a CPU hog), whatever runs beside it.
[assembly: Parallelizable(ParallelScope.Fixtures)]
[assembly: LevelOfParallelism(6)]

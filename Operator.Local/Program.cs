using Operator.Local;

// The operator on a laptop, against the in-process Kubernetes API and ECS emulators: `dotnet run --project Operator.Local`.
return await LocalMode.RunAsync(args);

using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Dial.Benchmarks.PolicyRoutingBenchmark).Assembly).Run(args);

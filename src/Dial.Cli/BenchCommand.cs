using System.Diagnostics;
using System.CommandLine;
using Dial.Gateway.Bench;

namespace Dial.Cli;

/// <summary><c>dial bench gateway</c>: the gateway's bounded load test against a fake upstream on 127.0.0.1.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var rate = new Option<int>("--rate") { Description = "Requests per second, open loop", DefaultValueFactory = _ => 1000 };
        var seconds = new Option<double>("--seconds") { Description = "Measured seconds (half direct, half through Dial)", DefaultValueFactory = _ => 10 };
        var router = new Option<string>("--router") { Description = "Router the gateway trains", DefaultValueFactory = _ => new GatewayBenchOptions().Router };
        var warmup = new Option<double>("--warmup") { Description = "Seconds of load before measuring, so the JIT's tiering has settled", DefaultValueFactory = _ => new GatewayBenchOptions().WarmupSeconds };
        var policy = new Option<FileInfo?>("--policy") { Description = "Serve a policy saved by dial train instead of training --router at start-up" };
        var layout = new Option<string>("--gateway")
        {
            Description = "Where the gateway runs: 'process' (dial serve in its own process, as in production) or 'shared' (inside the benchmark's process, sharing its threads and collections)",
            DefaultValueFactory = _ => "shared",
        }.AcceptOnlyFromAmong("process", "shared");
        var settle = new Option<int>("--settle")
        {
            Description = "At most this many rounds (a half-second lull, then 2 s of load) after the warm-up, until the gateway has collected twice: its first collections copy what the warm-up built to last (35-45 ms pauses, once in a gateway's life)",
            DefaultValueFactory = _ => new GatewayBenchOptions().SettlingRounds,
        };
        var samples = new Option<FileInfo?>("--samples") { Description = "Write every measured request to this CSV file (send time on the monotonic clock in ns, latency and the gateway's Server-Timing parts in ms)" };
        var gateway = new Command("gateway", "Requests per second and p50/p99 latency Dial adds over calling the upstream directly")
        {
            rate, seconds, warmup, settle, router, policy, layout, samples,
        };
        gateway.SetAction(async (parse, ct) =>
        {
            var result = await GatewayBenchmark.RunAsync(
                new GatewayBenchOptions(parse.GetValue(rate), parse.GetValue(seconds), parse.GetValue(warmup), Router: parse.GetValue(router)!, PolicyFile: parse.GetValue(policy)?.FullName,
                    DialCommand: parse.GetValue(layout) == "process" ? DialCommand : null, SamplesFile: parse.GetValue(samples)?.FullName, SettlingRounds: parse.GetValue(settle)), Console.Error, ct);
            result.Print(Console.Out);
            return result.Direct.Errors + result.ThroughDial.Errors == 0 ? 0 : 1;
        });
        return new Command("bench", "Load tests") { gateway };
    }

    /// <summary>This very <c>dial</c>: its apphost, or the <c>dotnet</c> host with dial.dll when started that way.</summary>
    private static ProcessStartInfo DialCommand()
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which executable is running, so cannot start dial serve");
        var start = new ProcessStartInfo(host);
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(BenchCommand).Assembly.Location);
        return start;
    }
}

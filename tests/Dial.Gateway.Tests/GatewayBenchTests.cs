using System.Diagnostics;
using Dial.Gateway.Bench;

namespace Dial.Gateway.Tests;

/// <summary>`dial bench gateway` run briefly at a low rate, in both layouts: every request answered and accounted for.</summary>
public sealed class GatewayBenchTests
{
    private static ProcessStartInfo DialCommand()
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dial.dll"));
        return start;
    }

    [Fact]
    public void Warm_up_schedule_climbs_from_a_tenth_of_the_rate_to_all_of_it_over_the_ramp()
    {
        Assert.Equal(1000 * 2.5, GatewayBenchmark.Sent(2.5, 1000, rampSeconds: 0), 9);
        // Over a 5 s ramp the mean rate is (100 + 1000) / 2 = 550 a second; after it, 1,000 a second.
        Assert.Equal(550 * 5, GatewayBenchmark.Sent(5, 1000, rampSeconds: 5), 9);
        Assert.Equal(550 * 5 + 1000 * 2, GatewayBenchmark.Sent(7, 1000, rampSeconds: 5), 9);
        // The instantaneous rate: a tenth at the start, full at the ramp's end, never falling.
        const double dt = 1e-4;
        Assert.Equal(100, GatewayBenchmark.Sent(dt, 1000, 5) / dt, 0);
        Assert.Equal(1000, (GatewayBenchmark.Sent(5, 1000, 5) - GatewayBenchmark.Sent(5 - dt, 1000, 5)) / dt, 0);
        var rates = Enumerable.Range(0, 70).Select(i => GatewayBenchmark.Sent((i + 1) * 0.1, 1000, 5) - GatewayBenchmark.Sent(i * 0.1, 1000, 5)).ToArray();
        Assert.All(rates.Zip(rates.Skip(1)), pair => Assert.True(pair.Second >= pair.First - 1e-9));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Bench_measures_direct_and_routed_requests_with_the_gateways_own_account(bool ownProcess)
    {
        var samples = Path.Combine(Path.GetTempPath(), $"dial-bench-samples-{Guid.NewGuid():N}.csv");
        var options = new GatewayBenchOptions(Rate: 40, Seconds: 2, WarmupSeconds: 0.5, Router: "knn", DialCommand: ownProcess ? DialCommand : null, SamplesFile: samples,
            SettlingRounds: 2);

        var result = await GatewayBenchmark.RunAsync(options, TextWriter.Null, CancellationToken.None);

        Assert.Equal(40, result.Direct.Requests);
        Assert.Equal(40, result.ThroughDial.Requests);
        Assert.Equal(0, result.Direct.Errors + result.ThroughDial.Errors);
        // Every routed answer carried Server-Timing, and its parts fit inside what the client saw.
        Assert.Equal(40, result.ServerOverhead.Requests);
        Assert.Equal(40, result.Routing.Requests);
        Assert.True(result.Routing.P50Ms <= result.ServerOverhead.P50Ms);
        Assert.True(result.ServerOverhead.P50Ms + result.UpstreamCall.P50Ms <= result.ThroughDial.P99Ms);
        Assert.True(result.SlowestThroughDial.OutsideMs >= 0);
        Assert.Equal(ownProcess, result.GatewayProcessUsage is not null);
        if (result.GatewayProcessUsage is { } gateway) Assert.True(gateway.CpuMs > 0 && gateway.AllocatedKb > 0);
        // One CSV line per measured request; routed ones carry the gateway's parts, direct ones cannot.
        var lines = File.ReadAllLines(samples);
        File.Delete(samples);
        Assert.Equal(81, lines.Length);
        Assert.Equal(40, lines.Count(l => l.StartsWith("dial,", StringComparison.Ordinal) && !l.Contains("NaN")));
        Assert.Equal(40, lines.Count(l => l.StartsWith("direct,", StringComparison.Ordinal) && l.EndsWith(",NaN,NaN,NaN,NaN")));
        // Settling goes on until the gateway has collected twice or the rounds run out; the gateway's collections are
        // known only when it runs in a process of its own (in this one, the benchmark's own settling collections cover it).
        Assert.InRange(result.Settling.Count, 1, 2);
        Assert.All(result.Settling.SkipLast(1), r => Assert.True(r.GatewayCollections < 2));
        Assert.True(result.Settling.Count == 2 || !(result.Settling[^1].GatewayCollections < 2));
        Assert.All(result.Settling, r => Assert.Equal(ownProcess, r.GatewayCollections is not null));
        Assert.All(result.Settling, r => Assert.Equal(ownProcess, r.GatewayJitMs is not null));
        // The host's account covers the measured seconds on every core: at least the 2 s minus a tick per core, at most
        // what the run could have taken in all.
        var steal = Assert.NotNull(result.Steal);
        Assert.InRange(steal.TotalSeconds, Environment.ProcessorCount * 1.9, Environment.ProcessorCount * 30.0);
        Assert.InRange(steal.StolenSeconds, 0, steal.TotalSeconds);
        var printed = new StringWriter();
        result.Print(printed);
        Assert.Contains("overhead added by Dial", printed.ToString());
        Assert.Contains("host: the hypervisor took", printed.ToString());
    }

    [Fact]
    public void Host_steal_is_read_from_the_cpu_line_of_proc_stat()
    {
        // user nice system idle iowait irq softirq steal guest guest_nice, in hundredths of a second
        var start = HostSteal.Parse("cpu  513916 191977 107269 1056528 7298 0 28183 21300 0 0", "/proc/stat");
        var end = HostSteal.Parse("cpu  514016 191977 107369 1056628 7298 0 28183 21400 40 0", "/proc/stat");
        var interval = end - start;
        Assert.Equal(1.0, interval.StolenSeconds, 9);
        Assert.Equal(4.0, interval.TotalSeconds, 9); // guest time is inside user time, so not counted twice
        Assert.Equal(0.25, interval.Share, 9);
    }

    [Theory]
    [InlineData("cpu0 1 2 3 4 5 6 7 8 9 10")]
    [InlineData("cpu  1 2 3 4 5 6 7")]
    [InlineData("cpu  1 2 3 4 5 6 x 8 9 10")]
    [InlineData("")]
    public void A_proc_stat_line_that_is_not_the_cpu_totals_is_an_error_naming_the_file(string line)
    {
        var e = Assert.Throws<FormatException>(() => HostSteal.Parse(line, "/proc/stat"));
        Assert.StartsWith("/proc/stat: ", e.Message);
    }

    [Fact]
    public void Host_steal_reads_this_machines_counters()
    {
        var now = Assert.NotNull(HostSteal.Read());
        Assert.True(now.TotalSeconds > 0 && now.StolenSeconds >= 0 && now.StolenSeconds <= now.TotalSeconds);
    }
}

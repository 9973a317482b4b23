using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Dial.Data;
using System.Diagnostics.Metrics;
using Dial.Gateway.Routing;
using Dial.Gateway.Telemetry;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Dial.Gateway.Bench;

/// <param name="Rate">Requests per second, open loop (sent on schedule, whether or not earlier ones have answered).</param>
/// <param name="Seconds">Measured seconds, split evenly between calling the upstream directly and through Dial.</param>
/// <param name="WarmupSeconds">Load before measuring: on a busy 2-core machine the JIT is still re-compiling hot methods
/// (tiered, PGO) for several seconds, which a long-running gateway no longer does.</param>
/// <param name="PolicyFile">A policy saved by <c>dial train</c>, served instead of training <paramref name="Router"/> at start-up.</param>
public sealed record GatewayBenchOptions(int Rate = 1000, double Seconds = 10, double WarmupSeconds = 10, string Router = "dial", string? Table = null, string? PolicyFile = null);

public sealed record LatencySummary(int Requests, int Errors, double P50Ms, double P99Ms, double MeanMs, double RequestsPerSecond)
{
    public static LatencySummary Of(List<double> latencies, int errors, double seconds)
    {
        var sorted = latencies.Order().ToArray();
        double Q(double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new LatencySummary(sorted.Length + errors, errors, Q(0.5), Q(0.99), sorted.Length == 0 ? double.NaN : sorted.Average(), (sorted.Length + errors) / seconds);
    }
}

/// <param name="ServerOverhead">The gateway's own account per request (dial.overhead: handler time minus upstream time), free of client-side noise.</param>
/// <summary>What the whole process (load generator, gateway and upstream alike) spent per request while one target's blocks ran.</summary>
public sealed record UsagePerRequest(double CpuMs, double AllocatedKb, double Collections, double GcPauseMs);

/// <param name="DirectUsage">Process CPU and allocation per request during the direct blocks; the difference to <paramref name="DialUsage"/> is Dial's cost, which contention from other processes barely moves.</param>
/// <param name="Routing">Of <paramref name="ServerOverhead"/>, the time spent planning the route (prompt encoding and the router's decision).</param>
/// <param name="UpstreamCall">The upstream call as the gateway timed it, the same call the direct requests make.</param>
public sealed record GatewayBenchResult(GatewayBenchOptions Options, LatencySummary Direct, LatencySummary ThroughDial, LatencySummary ServerOverhead,
    LatencySummary Routing, LatencySummary UpstreamCall, UsagePerRequest DirectUsage, UsagePerRequest DialUsage)
{
    public double OverheadP50Ms => ThroughDial.P50Ms - Direct.P50Ms;
    public double OverheadP99Ms => ThroughDial.P99Ms - Direct.P99Ms;

    public void Print(TextWriter o)
    {
        var ci = CultureInfo.InvariantCulture;
        o.WriteLine(string.Create(ci, $"target rate {Options.Rate} req/s, {Options.Seconds:0.#} s measured (half direct, half through Dial, alternating 0.5 s blocks), router {Options.Router}"));
        o.WriteLine($"{"",-12}  {"requests",8}  {"errors",6}  {"req/s",7}  {"p50 ms",8}  {"p99 ms",8}  {"mean ms",8}");
        foreach (var (name, s) in new[] { ("direct", Direct), ("through Dial", ThroughDial) })
            o.WriteLine(string.Create(ci, $"{name,-12}  {s.Requests,8}  {s.Errors,6}  {s.RequestsPerSecond,7:F0}  {s.P50Ms,8:F3}  {s.P99Ms,8:F3}  {s.MeanMs,8:F3}"));
        o.WriteLine(string.Create(ci, $"overhead added by Dial (through Dial minus direct): p50 {OverheadP50Ms:F3} ms, p99 {OverheadP99Ms:F3} ms"));
        o.WriteLine(string.Create(ci, $"gateway's own time per request outside the upstream call (dial.overhead): p50 {ServerOverhead.P50Ms:F3} ms, p99 {ServerOverhead.P99Ms:F3} ms"));
        o.WriteLine(string.Create(ci, $"  of which routing (prompt encoding + decision, dial.routing): p50 {Routing.P50Ms:F3} ms, p99 {Routing.P99Ms:F3} ms"));
        o.WriteLine(string.Create(ci, $"upstream call as the gateway timed it (dial.upstream.latency): p50 {UpstreamCall.P50Ms:F3} ms, p99 {UpstreamCall.P99Ms:F3} ms"));
        o.WriteLine($"{"per request",-12}  {"CPU ms",8}  {"alloc KB",8}  {"GCs",8}  {"GC pause ms",11}  (whole process: client, gateway and upstream)");
        foreach (var (name, u) in new[] { ("direct", DirectUsage), ("through Dial", DialUsage) })
            o.WriteLine(string.Create(ci, $"{name,-12}  {u.CpuMs,8:F3}  {u.AllocatedKb,8:F1}  {u.Collections,8:F4}  {u.GcPauseMs,11:F4}"));
    }
}

/// <summary>
/// <c>dial bench gateway</c>: a bounded load test on 127.0.0.1. Starts the fake OpenAI upstream and a real gateway
/// (trained router, SQLite request log) in this process, then sends the same chat requests at a fixed rate to
/// the upstream directly and through Dial, in alternating half-second blocks, so both see the same machine load.
/// Dial's overhead is the difference of the two latency distributions' percentiles.
/// </summary>
public static class GatewayBenchmark
{
    private const double BlockSeconds = 0.5;

    public static async Task<GatewayBenchResult> RunAsync(GatewayBenchOptions options, TextWriter log, CancellationToken ct)
    {
        if (options.Rate < 1 || options.Rate > 20_000) throw new ArgumentException($"--rate must be in [1, 20000], got {options.Rate}");
        if (!(options.Seconds > 0 && options.Seconds <= 600)) throw new ArgumentException($"--seconds must be in (0, 600], got {options.Seconds}");
        if (!(options.WarmupSeconds >= 0 && options.WarmupSeconds <= 600)) throw new ArgumentException($"--warmup must be in [0, 600], got {options.WarmupSeconds}");
        var tablePath = options.Table ?? RoutingData.BundledTablePath();
        var table = RoutingTableReader.Read(tablePath);
        var prompts = table.Where(Split.Test).Prompts.Select(p => p.Text).Take(200).ToArray();
        var dbFolder = Directory.CreateTempSubdirectory("dial-bench-");
        await using var upstream = await FakeOpenAIServer.StartAsync();
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0", $"--Dial:Table={tablePath}", $"--Dial:Router={options.Router}",
            $"--Dial:Store:ConnectionString={Path.Combine(dbFolder.FullName, "bench.db")}",
            "--Dial:Upstreams:0:Name=fake", $"--Dial:Upstreams:0:BaseUrl={upstream.BaseUrl}", "--Logging:LogLevel:Default=Warning",
        };
        if (options.PolicyFile is { } policy) args.Add($"--Dial:PolicyFile={policy}");
        for (var i = 0; i < table.ModelCount; i++)
        {
            var card = table.Models[i];
            args.AddRange([$"--Dial:Upstreams:0:Models:{i}:Name={card.Name}", $"--Dial:Upstreams:0:Models:{i}:UpstreamModel=echo-{i}",
                string.Create(CultureInfo.InvariantCulture, $"--Dial:Upstreams:0:Models:{i}:InputUsdPerMTok={card.InputUsdPerMTok}"),
                string.Create(CultureInfo.InvariantCulture, $"--Dial:Upstreams:0:Models:{i}:OutputUsdPerMTok={card.OutputUsdPerMTok}")]);
        }
        log.WriteLine(options.PolicyFile is null
            ? $"starting the gateway (training router {options.Router}) and the fake upstream on 127.0.0.1..."
            : $"starting the gateway (policy {options.PolicyFile}) and the fake upstream on 127.0.0.1...");
        await using var gateway = GatewayHost.Build(args.ToArray());
        await gateway.StartAsync(ct);
        try
        {
            var gatewayUrl = gateway.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/v1";
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
            {
                Timeout = TimeSpan.FromSeconds(30),
            };
            var targets = new[] { (Url: upstream.BaseUrl, Model: "echo-0"), (Url: gatewayUrl, Model: "dial/auto") };
            log.WriteLine("warming up...");
            await RunBlocksAsync(http, targets, prompts, options.Rate, options.WarmupSeconds, ct);
            log.WriteLine("measuring...");
            // The gateway's own account of each request, by instrument: its time outside the upstream call, the
            // routing part of it, and the upstream call as the gateway saw it.
            var inside = new Dictionary<string, Samples>(StringComparer.Ordinal)
            {
                ["dial.overhead"] = new(), ["dial.routing"] = new(), ["dial.upstream.latency"] = new(),
            };
            using var listener = new MeterListener();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == GatewayMetrics.MeterName && inside.ContainsKey(instrument.Name)) l.EnableMeasurementEvents(instrument, inside[instrument.Name]);
            };
            listener.SetMeasurementEventCallback<double>((_, ms, _, state) => ((Samples)state!).Add(ms));
            listener.Start();
            var (direct, dial) = await RunBlocksAsync(http, targets, prompts, options.Rate, options.Seconds, ct);
            listener.Dispose();
            var half = options.Seconds / 2;
            return new GatewayBenchResult(options, direct.Summary(half), dial.Summary(half), inside["dial.overhead"].Summary(half),
                inside["dial.routing"].Summary(half), inside["dial.upstream.latency"].Summary(half), direct.Usage.PerRequest(direct.Count), dial.Usage.PerRequest(dial.Count));
        }
        finally
        {
            await gateway.StopAsync(CancellationToken.None);
            try
            {
                dbFolder.Delete(recursive: true);
            }
            catch (IOException)
            {
                // a file still held open is left in the temp folder; the result does not depend on it
            }
        }
    }

    /// <summary>Sends requests on a fixed schedule, alternating targets every block; each block half of the time.</summary>
    private static async Task<(Samples Direct, Samples Dial)> RunBlocksAsync(
        HttpClient http, (string Url, string Model)[] targets, string[] prompts, int rate, double seconds, CancellationToken ct)
    {
        var samples = new[] { new Samples(), new Samples() };
        var total = (int)Math.Round(rate * seconds);
        var perBlock = Math.Max(1, (int)Math.Round(rate * BlockSeconds));
        var bodies = targets.Select(t => prompts.Select(p => Body(t.Model, p)).ToArray()).ToArray();
        var inFlight = new List<Task>(total);
        var usage = samples.Select(x => x.Usage).ToArray();
        // A dedicated thread paces the sends: spinning or sleeping on a pool thread would starve the pool that
        // the client, the gateway and the upstream all share on this small machine.
        var pacer = new Thread(() =>
        {
            var clock = Stopwatch.StartNew();
            var sent = 0;
            var block = ProcessUsage.Snapshot.Take();
            while (sent < total && !ct.IsCancellationRequested)
            {
                var due = Math.Min(total, (int)(clock.Elapsed.TotalSeconds * rate) + 1);
                for (; sent < due; sent++)
                {
                    var target = sent / perBlock % 2;
                    if (sent > 0 && sent % perBlock == 0) block = usage[1 - target].AddSince(block);
                    inFlight.Add(SendAsync(http, targets[target].Url, bodies[target][sent % prompts.Length], samples[target], ct));
                }
                Thread.Sleep(1);
            }
            usage[(total - 1) / perBlock % 2].AddSince(block);
        }) { IsBackground = true, Name = "dial-bench-pacer" };
        pacer.Start();
        await Task.Run(pacer.Join, ct);
        await Task.WhenAll(inFlight);
        return (samples[0], samples[1]);
    }

    private static async Task SendAsync(HttpClient http, string baseUrl, byte[] body, Samples samples, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var response = await http.PostAsync(baseUrl + "/chat/completions", content, ct);
            await response.Content.ReadAsByteArrayAsync(ct);
            if (response.StatusCode == HttpStatusCode.OK) samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            else samples.Error();
        }
        catch (HttpRequestException)
        {
            samples.Error();
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            samples.Error(); // the client's 30 s timeout
        }
    }

    private static byte[] Body(string model, string prompt) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["model"] = model,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }),
    }.ToJsonString());

    /// <summary>Process CPU, allocation and garbage collection, summed over the blocks of one target.</summary>
    private sealed class ProcessUsage
    {
        private Snapshot _total;

        public readonly record struct Snapshot(TimeSpan Cpu, long Allocated, int Collections, TimeSpan GcPause)
        {
            public static Snapshot Take() => new(Process.GetCurrentProcess().TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: false),
                GC.CollectionCount(0), GC.GetTotalPauseDuration());
        }

        /// <summary>Adds what was spent since <paramref name="start"/> and returns now, the start of the next block.</summary>
        public Snapshot AddSince(Snapshot start)
        {
            var now = Snapshot.Take();
            _total = new Snapshot(_total.Cpu + (now.Cpu - start.Cpu), _total.Allocated + (now.Allocated - start.Allocated),
                _total.Collections + (now.Collections - start.Collections), _total.GcPause + (now.GcPause - start.GcPause));
            return now;
        }

        public UsagePerRequest PerRequest(int requests)
        {
            var n = Math.Max(1, requests);
            return new UsagePerRequest(_total.Cpu.TotalMilliseconds / n, _total.Allocated / 1024.0 / n, (double)_total.Collections / n, _total.GcPause.TotalMilliseconds / n);
        }
    }

    private sealed class Samples
    {
        private readonly List<double> _latencies = [];
        private readonly Lock _lock = new();
        private int _errors;

        public ProcessUsage Usage { get; } = new();

        public int Count
        {
            get { lock (_lock) return _latencies.Count + _errors; }
        }

        public void Add(double ms)
        {
            lock (_lock) _latencies.Add(ms);
        }

        public void Error() => Interlocked.Increment(ref _errors);

        public LatencySummary Summary(double seconds)
        {
            lock (_lock) return LatencySummary.Of(_latencies, _errors, seconds);
        }
    }
}

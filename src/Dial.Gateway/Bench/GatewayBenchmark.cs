using System.Buffers;
using System.Diagnostics.Tracing;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Dial.Data;
using Dial.Gateway.Routing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Dial.Gateway.Bench;

/// <param name="Rate">Requests per second, open loop (sent on schedule, whether or not earlier ones have answered).</param>
/// <param name="Seconds">Measured seconds, split evenly between calling the upstream directly and through Dial.</param>
/// <param name="WarmupSeconds">Load before measuring, its rate climbing from a tenth to full over the first half (a cold
/// gateway flooded at full rate made clients and itself open hundreds of connections): on a busy 2-core machine the JIT is
/// still re-compiling hot methods (tiered, PGO) for several seconds, which a long-running gateway no longer does.</param>
/// <param name="PolicyFile">A policy saved by <c>dial train</c>, served instead of training <paramref name="Router"/> at start-up.</param>
/// <param name="DialCommand">How to run <c>dial</c> (its arguments are appended), so the gateway runs as <c>dial serve</c> in a
/// process of its own, as in production; null runs it inside the benchmark's process, sharing its threads and collections.</param>
/// <param name="SettlingRounds">At most this many rounds of a half-second lull and 2 s of load after the warm-up, until the
/// gateway has collected twice (its first collections copy what the warm-up built to last); 0 measures right after the warm-up.</param>
/// <param name="SamplesFile">Where to write every measured request as CSV (send time on the monotonic clock in ns, so it lines
/// up with system traces such as <c>perf sched record -k CLOCK_MONOTONIC</c>; latency and the Server-Timing parts in ms).</param>
public sealed record GatewayBenchOptions(int Rate = 1000, double Seconds = 10, double WarmupSeconds = 10, string Router = "dial", string? Table = null, string? PolicyFile = null,
    Func<ProcessStartInfo>? DialCommand = null, string? SamplesFile = null, int SettlingRounds = 15);

public sealed record LatencySummary(int Requests, int Errors, double P50Ms, double P99Ms, double MeanMs, double RequestsPerSecond)
{
    public static LatencySummary Of(List<double> latencies, int errors, double seconds)
    {
        var sorted = latencies.Order().ToArray();
        double Q(double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new LatencySummary(sorted.Length + errors, errors, Q(0.5), Q(0.99), sorted.Length == 0 ? double.NaN : sorted.Average(), (sorted.Length + errors) / seconds);
    }
}

/// <summary>
/// Mean times of the slowest requests through Dial, split by the gateway's Server-Timing account; the rest is outside
/// the gateway's handler: the client, Kestrel, the sockets and waiting for a core.
/// </summary>
/// <param name="PausedShare">Of these requests, the share during which a collection paused the benchmark's process.</param>
/// <param name="Pauses">Collections of the benchmark's process while requests went through Dial, their mean pause and
/// the part of it spent suspending the threads.</param>
public sealed record TailBreakdown(int Requests, double TotalMs, double OwnMs, double RoutingMs, double UpstreamMs,
    double PausedShare, int Pauses, double PauseMs, double SuspensionMs)
{
    public double OutsideMs => TotalMs - OwnMs - UpstreamMs;

    /// <summary>The same share over all requests through Dial, for comparison.</summary>
    public double AllPausedShare { get; init; }

    /// <summary>Of these requests, the share that a collection of the gateway's process paused (its Server-Timing gc part).</summary>
    public double GatewayPausedShare { get; init; }
}

/// <summary>One settling round after the warm-up: what each process compiled in it and the gateway's collections so far.</summary>
/// <param name="BenchJitMs">The benchmark process's JIT compilation time in the round.</param>
/// <param name="GatewayJitMs">Null when the gateway runs in the benchmark's process (its compilation is in <paramref name="BenchJitMs"/>).</param>
/// <param name="GatewayCollections">The gateway process's collections since the warm-up began.</param>
public readonly record struct SettlingRound(double BenchJitMs, double? GatewayJitMs, int? GatewayCollections)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"JIT {BenchJitMs:0} ms{(GatewayJitMs is { } g ? $" + gateway {g:0} ms" : "")}{(GatewayCollections is { } c ? $", gateway collections {c}" : "")}");
}

/// <summary>CPU, allocation and garbage collection of a process per request.</summary>
public sealed record UsagePerRequest(double CpuMs, double AllocatedKb, double Collections, double GcPauseMs);

/// <param name="ServerOverhead">The gateway's own account per request (its Server-Timing header: time to the answer's headers minus the upstream call), free of client-side noise.</param>
/// <param name="Routing">Of <paramref name="ServerOverhead"/>, the time spent planning the route (prompt encoding and the router's decision).</param>
/// <param name="UpstreamCall">The upstream call as the gateway timed it, the same call the direct requests make.</param>
/// <param name="SlowestThroughDial">Where the slowest 1% of the requests through Dial spent their time.</param>
/// <param name="DirectUsage">The benchmark process's CPU and allocation per request during the direct blocks; the difference to <paramref name="DialUsage"/> is Dial's cost, which contention from other processes barely moves.</param>
/// <param name="DialUsage">The same during the blocks through Dial: with the gateway in its own process, the load generator's and the upstream's share only.</param>
/// <param name="GatewayProcessUsage">With the gateway in its own process, that process's usage per routed request over the measured seconds.</param>
/// <param name="Settling">The rounds that brought the gateway to its steady state before measuring.</param>
/// <param name="Steal">The machine's CPU time over the measured seconds and the part the hypervisor gave to others; null where the OS does not say.</param>
public sealed record GatewayBenchResult(GatewayBenchOptions Options, LatencySummary Direct, LatencySummary ThroughDial, LatencySummary ServerOverhead,
    LatencySummary Routing, LatencySummary UpstreamCall, TailBreakdown SlowestThroughDial, UsagePerRequest DirectUsage, UsagePerRequest DialUsage, UsagePerRequest? GatewayProcessUsage,
    IReadOnlyList<SettlingRound> Settling, HostSteal? Steal)
{
    public double OverheadP50Ms => ThroughDial.P50Ms - Direct.P50Ms;
    public double OverheadP99Ms => ThroughDial.P99Ms - Direct.P99Ms;

    public void Print(TextWriter o)
    {
        var ci = CultureInfo.InvariantCulture;
        o.WriteLine(string.Create(ci, $"target rate {Options.Rate} req/s, {Options.Seconds:0.#} s measured (half direct, half through Dial, alternating 0.5 s blocks), router {Options.Router}, gateway {(Options.DialCommand is null ? "inside the benchmark's process" : "in its own process (dial serve)")}"));
        o.WriteLine($"settled in {Settling.Count} round(s) after the warm-up: {string.Join("; ", Settling)}");
        o.WriteLine($"{"",-12}  {"requests",8}  {"errors",6}  {"req/s",7}  {"p50 ms",8}  {"p99 ms",8}  {"mean ms",8}");
        foreach (var (name, s) in new[] { ("direct", Direct), ("through Dial", ThroughDial) })
            o.WriteLine(string.Create(ci, $"{name,-12}  {s.Requests,8}  {s.Errors,6}  {s.RequestsPerSecond,7:F0}  {s.P50Ms,8:F3}  {s.P99Ms,8:F3}  {s.MeanMs,8:F3}"));
        o.WriteLine(string.Create(ci, $"overhead added by Dial (through Dial minus direct): p50 {OverheadP50Ms:F3} ms, p99 {OverheadP99Ms:F3} ms"));
        o.WriteLine(string.Create(ci, $"gateway's own time per request outside the upstream call (Server-Timing dial): p50 {ServerOverhead.P50Ms:F3} ms, p99 {ServerOverhead.P99Ms:F3} ms"));
        o.WriteLine(string.Create(ci, $"  of which routing (prompt encoding + decision, Server-Timing routing): p50 {Routing.P50Ms:F3} ms, p99 {Routing.P99Ms:F3} ms"));
        o.WriteLine(string.Create(ci, $"upstream call as the gateway timed it (Server-Timing upstream): p50 {UpstreamCall.P50Ms:F3} ms, p99 {UpstreamCall.P99Ms:F3} ms"));
        var t = SlowestThroughDial;
        o.WriteLine(string.Create(ci, $"slowest 1% through Dial ({t.Requests} requests), mean {t.TotalMs:F3} ms: gateway's own {t.OwnMs:F3} (routing {t.RoutingMs:F3}), upstream call {t.UpstreamMs:F3}, outside the gateway's handler {t.OutsideMs:F3}"));
        o.WriteLine(string.Create(ci, $"  {t.PausedShare:P0} of them were paused by a collection of the benchmark's process (all requests through Dial: {t.AllPausedShare:P1}); {t.Pauses} collections while measuring, mean pause {t.PauseMs:F3} ms of which suspending threads {t.SuspensionMs:F3} ms"));
        o.WriteLine(string.Create(ci, $"  {t.GatewayPausedShare:P0} of them were paused by a collection of the gateway (Server-Timing gc)"));
        var usages = new List<(string, UsagePerRequest)> { ("direct", DirectUsage), ("through Dial", DialUsage) };
        if (GatewayProcessUsage is { } gateway) usages.Add(("gateway", gateway));
        o.WriteLine($"{"per request",-12}  {"CPU ms",8}  {"alloc KB",8}  {"GCs",8}  {"GC pause ms",11}  ({(GatewayProcessUsage is null ? "whole process: client, gateway and upstream" : "benchmark process: client and upstream; gateway: its own process, per routed request")})");
        foreach (var (name, u) in usages)
            o.WriteLine(string.Create(ci, $"{name,-12}  {u.CpuMs,8:F3}  {u.AllocatedKb,8:F1}  {u.Collections,8:F4}  {u.GcPauseMs,11:F4}"));
        o.WriteLine(Steal is { } st
            ? string.Create(ci, $"host: the hypervisor took {st.Share:P1} of this machine's CPU time while measuring ({st.StolenSeconds:0.00} of {st.TotalSeconds:0.0} CPU-seconds); tails are comparable only at similar steal")
            : "host: CPU steal not reported by this OS");
    }
}

/// <summary>
/// <c>dial bench gateway</c>: a bounded load test on 127.0.0.1. Starts the fake OpenAI upstream in this process and a
/// real gateway (trained router, SQLite request log) in this process or its own, then sends the same chat requests at a fixed rate to
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
        if (options.SettlingRounds is < 0 or > 100) throw new ArgumentException($"--settle must be in [0, 100], got {options.SettlingRounds}");
        var tablePath = options.Table ?? RoutingData.BundledTablePath();
        var table = RoutingTableReader.Read(tablePath);
        var prompts = table.Where(Split.Test).Prompts.Select(p => p.Text).Take(200).ToArray();
        var dbFolder = Directory.CreateTempSubdirectory("dial-bench-");
        await using var upstream = await FakeOpenAIServer.StartAsync();
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"starting the gateway ({(options.PolicyFile is null ? $"training router {options.Router}" : $"policy {options.PolicyFile}")}, {(options.DialCommand is null ? "in this process" : "dial serve in its own process")}) and the fake upstream on 127.0.0.1..."));
        var gateway = await BenchGateway.StartAsync(options, GatewayArguments(options, table, tablePath, dbFolder, upstream), ct);
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
            {
                Timeout = TimeSpan.FromSeconds(30),
            };
            var targets = new[] { (Url: new Uri(upstream.BaseUrl + "/chat/completions"), Model: "echo-0"), (Url: new Uri(gateway.BaseUrl + "/v1/chat/completions"), Model: "dial/auto") };
            log.WriteLine("warming up...");
            var gatewayAtWarmup = await gateway.TotalsAsync(ct);
            await RunBlocksAsync(http, targets, prompts, options.Rate, options.WarmupSeconds, ct, rampSeconds: options.WarmupSeconds / 2);
            var settling = await SettleAsync(http, targets, prompts, options.Rate, options.SettlingRounds, gateway, gatewayAtWarmup, ct);
            SettleOwnHeap();
            log.WriteLine("measuring...");
            var before = await gateway.TotalsAsync(ct);
            using var pauses = new GcPauses();
            var stealBefore = HostSteal.Read();
            var (direct, dial) = await RunBlocksAsync(http, targets, prompts, options.Rate, options.Seconds, ct);
            var steal = HostSteal.Read() - stealBefore;
            if (options.SamplesFile is { } file) await WriteSamplesAsync(file, direct, dial, ct);
            var after = await gateway.TotalsAsync(ct);
            var half = options.Seconds / 2;
            UsagePerRequest? gatewayUsage = null;
            if (before is { } b && after is { } a)
            {
                var own = new ProcessUsage();
                own.Add(b, a);
                gatewayUsage = own.PerRequest(dial.Count);
            }
            return new GatewayBenchResult(options, direct.Summary(x => x.TotalMs, half), dial.Summary(x => x.TotalMs, half), dial.Summary(x => x.OwnMs, half),
                dial.Summary(x => x.RoutingMs, half), dial.Summary(x => x.UpstreamMs, half), dial.Tail(pauses.Pauses()),
                direct.Usage.PerRequest(direct.Count), dial.Usage.PerRequest(dial.Count), gatewayUsage, settling, steal);
        }
        finally
        {
            await gateway.DisposeAsync();
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

    /// <summary>
    /// Moves what the load generator keeps for the whole run (the bundled table, its connections and the fake
    /// upstream's, the request bodies; in the shared layout the gateway's too), made during start-up and warm-up and
    /// still young, to the oldest generation while no request is in flight. Left young, it was promoted by one of this
    /// process's collections in the measured seconds: a pause of 70–140 ms of the client and the upstream, counted
    /// against whichever target's block it fell in. Two collections, as a collection promotes its survivors one
    /// generation.
    /// </summary>
    private static void SettleOwnHeap()
    {
        GC.Collect();
        GC.Collect();
    }

    private const int SettledCollections = 2;

    /// <summary>
    /// Brings the gateway to its steady state after the warm-up, in rounds of a half-second lull and 2 s of load, until
    /// it has collected twice since the warm-up began (at most <paramref name="maxRounds"/>). What the warm-up built to last, above all the
    /// buffers of the hundreds of connections that clients and the gateway opened while it was cold, is copied from gen0
    /// to gen1 and then to gen2 by the gateway's first two collections: pauses of 35–45 ms each, once in a gateway's
    /// life, which otherwise fell in the measured seconds. The lulls let the runtime do the tier-1 compilation it defers
    /// while start-up-like jitting goes on: under uninterrupted load the gateway compiled ~1 s worth of methods at the
    /// first pause in traffic, which was the benchmark's own settling collection, inside the measured seconds.
    /// </summary>
    private static async Task<List<SettlingRound>> SettleAsync(HttpClient http, (Uri Url, string Model)[] targets, string[] prompts, int rate, int maxRounds,
        BenchGateway gateway, ProcessUsage.Snapshot? gatewayAtWarmup, CancellationToken ct)
    {
        var rounds = new List<SettlingRound>();
        // Each round's end is the next one's start, so each process is read once per round.
        var own = ProcessUsage.Snapshot.Take();
        var other = await gateway.TotalsAsync(ct);
        while (rounds.Count < maxRounds)
        {
            await Task.Delay(500, ct);
            await RunBlocksAsync(http, targets, prompts, rate, 2, ct);
            var ownAfter = ProcessUsage.Snapshot.Take();
            var otherAfter = await gateway.TotalsAsync(ct);
            var round = new SettlingRound((ownAfter.Jit - own.Jit).TotalMilliseconds, (otherAfter?.Jit - other?.Jit)?.TotalMilliseconds,
                otherAfter?.Collections - gatewayAtWarmup?.Collections);
            rounds.Add(round);
            if (!(round.GatewayCollections < SettledCollections)) break;
            (own, other) = (ownAfter, otherAfter);
        }
        return rounds;
    }

    private static async Task WriteSamplesAsync(string file, Samples direct, Samples dial, CancellationToken ct)
    {
        var ci = CultureInfo.InvariantCulture;
        var nanosecondsPerTick = 1e9 / Stopwatch.Frequency;
        var lines = new List<string> { "target,sent_ns,total_ms,gateway_ms,routing_ms,upstream_ms,gateway_gc_ms" };
        foreach (var (name, samples) in new[] { ("direct", direct), ("dial", dial) })
            lines.AddRange(samples.All().Select(x => string.Create(ci,
                $"{name},{(long)(x.Started * nanosecondsPerTick)},{x.TotalMs:0.####},{x.OwnMs:0.####},{x.RoutingMs:0.####},{x.UpstreamMs:0.####},{x.GcMs:0.####}")));
        await File.WriteAllLinesAsync(file, lines, ct);
    }

    /// <summary>The gateway's configuration: the bench's request log, and the fake upstream serving every model of the table at its prices.</summary>
    private static List<string> GatewayArguments(GatewayBenchOptions options, RoutingTable table, string tablePath, DirectoryInfo dbFolder, FakeOpenAIServer upstream)
    {
        var args = new List<string>
        {
            $"--Dial:Table={tablePath}", $"--Dial:Router={options.Router}",
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
        return args;
    }

    /// <summary>
    /// How many requests the schedule has sent <paramref name="t"/> seconds in: the rate climbs linearly from a tenth of
    /// <paramref name="rate"/> to all of it over <paramref name="rampSeconds"/>, then stays, so sent(t) = r₀t + (r − r₀)t²/(2·ramp) on the ramp.
    /// </summary>
    internal static double Sent(double t, int rate, double rampSeconds)
    {
        if (rampSeconds <= 0) return rate * t;
        var r0 = rate / 10.0;
        var ramp = Math.Min(t, rampSeconds);
        return r0 * ramp + (rate - r0) * ramp * ramp / (2 * rampSeconds) + rate * Math.Max(0, t - rampSeconds);
    }

    /// <summary>Sends requests on a fixed schedule, alternating targets every block; each block half of the time.</summary>
    private static async Task<(Samples Direct, Samples Dial)> RunBlocksAsync(
        HttpClient http, (Uri Url, string Model)[] targets, string[] prompts, int rate, double seconds, CancellationToken ct, double rampSeconds = 0)
    {
        var samples = new[] { new Samples(), new Samples() };
        var total = (int)Math.Round(Sent(seconds, rate, rampSeconds));
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
                var due = Math.Min(total, (int)Sent(clock.Elapsed.TotalSeconds, rate, rampSeconds) + 1);
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

    /// <summary>
    /// Times one request to its last byte. The answer is read into a pooled buffer and dropped rather than buffered
    /// and copied into an array: the load generator shares the cores it measures, and sends direct and through Dial alike.
    /// </summary>
    private static async Task SendAsync(HttpClient http, Uri url, byte[] body, Samples samples, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = JsonContentType;
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            await DrainAsync(await response.Content.ReadAsStreamAsync(ct), ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                samples.Error();
                return;
            }
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            samples.Add(Samples.Parse(started, elapsed, response.Headers.TryGetValues("Server-Timing", out var timings) ? timings : null));
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            samples.Error(); // refused, or broken off while the answer was read
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            samples.Error(); // the client's 30 s timeout
        }
    }

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");

    private static async Task DrainAsync(Stream stream, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (await stream.ReadAsync(buffer, ct) > 0)
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
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

        public readonly record struct Snapshot(TimeSpan Cpu, long Allocated, int Collections, TimeSpan GcPause, TimeSpan Jit)
        {
            public static Snapshot Take() => new(Process.GetCurrentProcess().TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: false),
                GC.CollectionCount(0), GC.GetTotalPauseDuration(), System.Runtime.JitInfo.GetCompilationTime());
        }

        /// <summary>Adds what this process spent since <paramref name="start"/> and returns now, the start of the next block.</summary>
        public Snapshot AddSince(Snapshot start)
        {
            var now = Snapshot.Take();
            Add(start, now);
            return now;
        }

        public void Add(Snapshot start, Snapshot end) =>
            _total = new Snapshot(_total.Cpu + (end.Cpu - start.Cpu), _total.Allocated + (end.Allocated - start.Allocated),
                _total.Collections + (end.Collections - start.Collections), _total.GcPause + (end.GcPause - start.GcPause), _total.Jit + (end.Jit - start.Jit));

        public UsagePerRequest PerRequest(int requests)
        {
            var n = Math.Max(1, requests);
            return new UsagePerRequest(_total.Cpu.TotalMilliseconds / n, _total.Allocated / 1024.0 / n, (double)_total.Collections / n, _total.GcPause.TotalMilliseconds / n);
        }
    }

    /// <summary>One answered request: its latency at the client and the gateway's Server-Timing account (NaN where it gave none).</summary>
    /// <param name="Started">When it was sent (a <see cref="Stopwatch"/> timestamp).</param>
    private readonly record struct Sample(long Started, double TotalMs, double OwnMs, double RoutingMs, double UpstreamMs, double GcMs)
    {
        public bool Overlaps(GcPause pause) => pause.Start < Started + (long)(TotalMs * Stopwatch.Frequency / 1000) && pause.End > Started;
    }

    /// <summary>One target's requests: what they took, how many failed, and what the benchmark process spent on them.</summary>
    private sealed class Samples
    {
        private readonly List<Sample> _samples = [];
        private readonly Lock _lock = new();
        private int _errors;

        public ProcessUsage Usage { get; } = new();

        public int Count
        {
            get { lock (_lock) return _samples.Count + _errors; }
        }

        public void Add(Sample sample)
        {
            lock (_lock) _samples.Add(sample);
        }

        public void Error() => Interlocked.Increment(ref _errors);

        public Sample[] All()
        {
            lock (_lock) return _samples.ToArray();
        }

        public LatencySummary Summary(Func<Sample, double> field, double seconds)
        {
            lock (_lock) return LatencySummary.Of(_samples.Select(field).Where(ms => !double.IsNaN(ms)).ToList(), _errors, seconds);
        }

        /// <summary>The mean account of the slowest 1% of requests (where the tail's time went) and how many a collection of this process paused.</summary>
        public TailBreakdown Tail(IReadOnlyList<GcPause> pauses)
        {
            lock (_lock)
            {
                var slowest = _samples.OrderByDescending(x => x.TotalMs).Take(Math.Max(1, _samples.Count / 100)).Where(x => !double.IsNaN(x.OwnMs)).ToArray();
                if (slowest.Length == 0) return new TailBreakdown(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, pauses.Count, double.NaN, double.NaN);
                var paused = slowest.Count(x => pauses.Any(x.Overlaps)) / (double)slowest.Length;
                var all = _samples.Count(x => pauses.Any(x.Overlaps)) / (double)_samples.Count;
                return new TailBreakdown(slowest.Length, slowest.Average(x => x.TotalMs), slowest.Average(x => x.OwnMs),
                    slowest.Average(x => x.RoutingMs), slowest.Average(x => x.UpstreamMs), paused, pauses.Count,
                    pauses.Count == 0 ? 0 : pauses.Average(x => x.Milliseconds), pauses.Count == 0 ? 0 : pauses.Average(x => x.SuspensionMilliseconds))
                {
                    AllPausedShare = all,
                    GatewayPausedShare = slowest.Count(x => x.GcMs > 0) / (double)slowest.Length,
                };
            }
        }

        /// <summary>Reads the gateway's <c>Server-Timing: dial;dur=…, routing;dur=…, upstream;dur=…</c>.</summary>
        public static Sample Parse(long started, double totalMs, IEnumerable<string>? serverTiming)
        {
            double own = double.NaN, routing = double.NaN, upstream = double.NaN, gc = double.NaN;
            foreach (var metric in (serverTiming ?? []).SelectMany(v => v.Split(',')))
            {
                var parts = metric.Split(";dur=");
                if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms)) continue;
                switch (parts[0].Trim())
                {
                    case "dial": own = ms; break;
                    case "routing": routing = ms; break;
                    case "upstream": upstream = ms; break;
                    case "gc": gc = ms; break;
                }
            }
            return new Sample(started, totalMs, own, routing, upstream, gc);
        }
    }

    /// <summary>The gateway under load: inside this process, or <c>dial serve</c> in its own.</summary>
    private abstract class BenchGateway : IAsyncDisposable
    {
        public abstract string BaseUrl { get; }

        /// <summary>What the gateway's own process has spent so far; null when it is this process (the blocks' usage includes it).</summary>
        public abstract Task<ProcessUsage.Snapshot?> TotalsAsync(CancellationToken ct);

        public abstract ValueTask DisposeAsync();

        public static async Task<BenchGateway> StartAsync(GatewayBenchOptions options, List<string> arguments, CancellationToken ct)
        {
            if (options.DialCommand is not { } command)
            {
                var app = GatewayHost.Build(["--urls=http://127.0.0.1:0", .. arguments]);
                await app.StartAsync(ct);
                return new InProcess(app);
            }
            var start = command();
            foreach (var a in new[] { "serve", "--urls", "http://127.0.0.1:0" }.Concat(arguments)) start.ArgumentList.Add(a);
            return new OwnProcess(await GatewayProcess.StartAsync(start, TimeSpan.FromMinutes(5)));
        }

        private sealed class InProcess(WebApplication app) : BenchGateway
        {
            public override string BaseUrl { get; } = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

            public override Task<ProcessUsage.Snapshot?> TotalsAsync(CancellationToken ct) => Task.FromResult<ProcessUsage.Snapshot?>(null);

            public override async ValueTask DisposeAsync()
            {
                await app.StopAsync(CancellationToken.None);
                await app.DisposeAsync();
            }
        }

        /// <summary>Reads the other process's collections and allocation from the runtime metrics on its /metrics.</summary>
        private sealed class OwnProcess(GatewayProcess process) : BenchGateway
        {
            private readonly HttpClient _metrics = new() { BaseAddress = new Uri(process.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };

            public override string BaseUrl => process.BaseUrl;

            public override async Task<ProcessUsage.Snapshot?> TotalsAsync(CancellationToken ct)
            {
                var text = await _metrics.GetStringAsync("/metrics", ct);
                double Sum(string name) => text.Split('\n')
                    .Where(line => line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is '{' or ' ')
                    .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
                return new ProcessUsage.Snapshot(process.ProcessorTime, (long)Sum("dotnet_gc_heap_total_allocated_bytes_total"),
                    (int)Sum("dotnet_gc_collections_total"), TimeSpan.FromSeconds(Sum("dotnet_gc_pause_time_seconds_total")),
                    TimeSpan.FromSeconds(Sum("dotnet_jit_compilation_time_seconds_total")));
            }

            public override async ValueTask DisposeAsync()
            {
                _metrics.Dispose();
                await process.DisposeAsync();
            }
        }
    }

    /// <summary>A collection's pause of this process, from suspending the threads to their restart (<see cref="Stopwatch"/> timestamps).</summary>
    private readonly record struct GcPause(long Start, long Suspended, long End)
    {
        public double Milliseconds => (End - Start) * 1000.0 / Stopwatch.Frequency;

        public double SuspensionMilliseconds => (Suspended - Start) * 1000.0 / Stopwatch.Frequency;
    }

    /// <summary>
    /// The runtime's own account of this process's collections (its GC events), so the tail can be checked against
    /// them rather than guessed at. Events carry wall-clock stamps; they are mapped onto the stopwatch the requests use.
    /// </summary>
    private sealed class GcPauses : EventListener
    {
        private const EventKeywords GcKeyword = (EventKeywords)0x1;
        private readonly List<GcPause> _pauses = [];
        private readonly Lock _lock = new();
        private readonly DateTime _wallAtStart = DateTime.UtcNow;
        private readonly long _stopwatchAtStart = Stopwatch.GetTimestamp();
        private long _suspending;
        private long _suspended;

        public IReadOnlyList<GcPause> Pauses()
        {
            lock (_lock) return _pauses.ToArray();
        }

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Informational, GcKeyword);
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            var at = _stopwatchAtStart + (long)((e.TimeStamp.ToUniversalTime() - _wallAtStart).TotalSeconds * Stopwatch.Frequency);
            lock (_lock)
            {
                switch (e.EventName)
                {
                    case { } name when name.StartsWith("GCSuspendEEBegin", StringComparison.Ordinal):
                        _suspending = at;
                        break;
                    case { } name when name.StartsWith("GCSuspendEEEnd", StringComparison.Ordinal):
                        _suspended = at;
                        break;
                    case { } name when name.StartsWith("GCRestartEEEnd", StringComparison.Ordinal) && _suspending != 0:
                        _pauses.Add(new GcPause(_suspending, Math.Max(_suspending, _suspended), at));
                        _suspending = 0;
                        break;
                }
            }
        }
    }
}

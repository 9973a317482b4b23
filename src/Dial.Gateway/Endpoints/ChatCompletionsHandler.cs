using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Dial.Gateway.Routing;
using Dial.Gateway.Security;
using Dial.Gateway.Storage;
using Dial.Gateway.Telemetry;
using Dial.Gateway.Upstreams;

namespace Dial.Gateway.Endpoints;

/// <summary>
/// <c>POST /v1/chat/completions</c>: reads the request, plans the route, runs it through the routing core, and
/// answers in OpenAI's format with Dial's account of the choice in <c>X-Dial-*</c> headers and a <c>dial</c> field.
/// Streams are passed through event by event; a stream can fall back only until its first event is sent.
/// </summary>
public sealed class ChatCompletionsHandler(
    RoutingCore core,
    UpstreamClients upstreams,
    RequestLog log,
    SpendingTracker spending,
    GatewayMetrics metrics,
    TimeProvider clock)
{
    public const string RequestIdHeader = "X-Dial-Request-Id";

    public async Task HandleAsync(HttpContext http)
    {
        var started = Stopwatch.GetTimestamp();
        var pausedBefore = GC.GetTotalPauseDuration();
        var requestId = $"dialreq_{Guid.NewGuid():N}";
        http.Response.Headers[RequestIdHeader] = requestId;
        http.Items[RequestIdHeader] = requestId; // the error handler clears headers and puts this one back
        var ct = http.RequestAborted;
        using var request = await ChatRequest.ReadAsync(http.Request, ct);
        var client = ApiKeyFilter.Client(http);
        await spending.EnsureWithinCapAsync(client, ct);
        var planning = Stopwatch.GetTimestamp();
        var plan = core.Plan(request.Model, request.Prompt, request.Preference);
        var timing = new Timing(started, pausedBefore, Stopwatch.GetElapsedTime(planning).TotalMilliseconds);
        if (plan.Decision is not null) metrics.Routing(timing.RoutingMs);
        var served = request.Stream
            ? await StreamAsync(http, request, plan, requestId, timing, ct)
            : await CompleteAsync(http, request, plan, requestId, timing, ct);
        metrics.Request(request.Model, served.Route.Name, served.Status);
        metrics.Cost(served.Route.Name, served.CostUsd);
        await spending.AddAsync(client, served.CostUsd, ct);
        var chosen = plan.ScoreOf(served.Route.Name);
        await log.AppendAsync(new RequestRecord(
            requestId, clock.GetUtcNow(), client?.Name, request.Model, plan.Profile?.Name, served.Route.Name, served.Route.Upstream,
            plan.Decision?.Router, plan.Preference, chosen?.ExpectedQuality, chosen?.ExpectedCostUsd, served.CostUsd, served.UpstreamMs,
            served.Status, served.Fallbacks, request.Prompt), CancellationToken.None);
    }

    private async Task<Served> CompleteAsync(HttpContext http, ChatRequest request, RoutePlan plan, string requestId, Timing timing, CancellationToken ct)
    {
        var routed = await core.ExecuteAsync(plan,
            (route, token) => upstreams[route.Upstream].CompleteAsync(new ChatCall(request, route), token), ct);
        using var reply = routed.Value;
        WriteHeaders(http, plan, routed, timing);
        http.Response.ContentType = "application/json";
        await using (var writer = new Utf8JsonWriter(http.Response.BodyWriter, GatewayJson.Writer))
        {
            WriteUpstreamFields(writer, reply.Body.RootElement, routed.Route.Name);
            WriteDial(writer, plan, routed, requestId, reply.CostUsd, reply.RecordedScore, reply.Replay);
            writer.WriteEndObject();
        }
        metrics.Overhead(timing.ElapsedMs - routed.UpstreamMs);
        return new Served(routed.Route, reply.CostUsd, routed.UpstreamMs, 200, routed.Failures.Count);
    }

    private async Task<Served> StreamAsync(HttpContext http, ChatRequest request, RoutePlan plan, string requestId, Timing timing, CancellationToken ct)
    {
        var routed = await core.ExecuteAsync(plan,
            (route, token) => upstreams[route.Upstream].OpenStreamAsync(new ChatCall(request, route), token), ct);
        await using var stream = routed.Value;
        WriteHeaders(http, plan, routed, timing);
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        var accounting = new StreamAccounting(routed.Route.Upstream);
        var card = routed.Route.Card;
        double Cost() => stream.RecordedCostUsd ?? card.CostUsd(
            accounting.PromptTokens ?? OpenAICompatibleUpstream.EstimateTokens(request.Prompt),
            accounting.CompletionTokens ?? (accounting.ContentChars + 3) / 4);
        var status = 200;
        var first = true;
        try
        {
            await foreach (var payload in stream.ReadEventsAsync(ct))
            {
                accounting.Observe(payload);
                // Clients ignore unknown fields, so Dial's account rides in the stream itself: the routing on the
                // first chunk, the cost on the usage chunk (the last, when the client asked for usage).
                if (first || accounting.LastHadUsage)
                {
                    await http.Response.WriteAsync("data: ", ct);
                    using (var chunk = JsonDocument.Parse(payload))
                    await using (var writer = new Utf8JsonWriter(http.Response.BodyWriter, GatewayJson.Writer))
                    {
                        WriteUpstreamFields(writer, chunk.RootElement, model: null);
                        if (first) WriteDial(writer, plan, routed, requestId, stream.RecordedCostUsd, stream.RecordedScore, stream.Replay);
                        else
                        {
                            writer.WriteStartObject("dial"u8);
                            writer.WriteString("request_id"u8, requestId);
                            writer.WriteNumber("cost_usd"u8, Cost());
                            writer.WriteEndObject();
                        }
                        writer.WriteEndObject();
                    }
                    await http.Response.WriteAsync("\n\n", ct);
                }
                else await http.Response.WriteAsync($"data: {payload}\n\n", ct);
                first = false;
                await http.Response.Body.FlushAsync(ct);
            }
            if (accounting.SawError) status = 502;
        }
        catch (Exception e) when (e is UpstreamException or HttpRequestException or IOException && !ct.IsCancellationRequested)
        {
            // Headers are gone, so the failure goes in-band, the way OpenAI reports errors inside a stream.
            status = 502;
            metrics.Error("upstream_stream_broken");
            var message = e is UpstreamException u ? $"upstream {u.Upstream} {u.Message}" : "the upstream stream broke off";
            var error = new OpenAIErrorBody(new OpenAIError(message, "api_error", null, "upstream_stream_broken"));
            await http.Response.WriteAsync($"data: {JsonSerializer.Serialize(error, GatewayJson.Options)}\n\n", ct);
        }
        await http.Response.WriteAsync("data: [DONE]\n\n", ct);
        return new Served(routed.Route, Cost(), routed.UpstreamMs, status, routed.Failures.Count);
    }

    /// <summary>
    /// Opens an upstream's JSON object and copies its fields as the raw bytes it sent, but for Dial's own field and,
    /// when <paramref name="model"/> is given, the model's name, which becomes that. The caller adds Dial's field and closes it.
    /// </summary>
    private static void WriteUpstreamFields(Utf8JsonWriter writer, JsonElement upstream, string? model)
    {
        writer.WriteStartObject();
        if (model is not null) writer.WriteString("model"u8, model);
        foreach (var property in upstream.EnumerateObject())
        {
            if ((model is not null && property.NameEquals("model"u8)) || property.NameEquals("dial"u8)) continue;
            writer.WritePropertyName(property.Name);
            writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(property.Value), skipInputValidation: true);
        }
    }

    private void WriteHeaders<T>(HttpContext http, RoutePlan plan, Routed<T> routed, Timing timing)
    {
        var headers = http.Response.Headers;
        // W3C Server-Timing: browsers' developer tools and clients see where a request's time went, and the load
        // test reads the gateway's own time per request from it whether the gateway runs in its process or not.
        headers["Server-Timing"] = string.Create(CultureInfo.InvariantCulture,
            $"dial;dur={timing.ElapsedMs - routed.UpstreamMs:0.###}, routing;dur={timing.RoutingMs:0.###}, upstream;dur={routed.UpstreamMs:0.###}, gc;dur={timing.PausedMs:0.###}");
        headers["X-Dial-Model"] = routed.Route.Name;
        headers["X-Dial-Fallbacks"] = routed.Failures.Count.ToString(CultureInfo.InvariantCulture);
        if (plan.Decision is null) return;
        headers["X-Dial-Router"] = plan.Decision.Router;
        headers["X-Dial-Profile"] = plan.Profile!.Name;
        headers[PreferenceReader.Header] = Format(plan.Preference!.Value);
        var score = plan.ScoreOf(routed.Route.Name);
        if (score?.ExpectedQuality is { } q) headers["X-Dial-Expected-Quality"] = q.ToString("0.####", CultureInfo.InvariantCulture);
        if (score?.ExpectedCostUsd is { } c) headers["X-Dial-Expected-Cost-Usd"] = c.ToString("G6", CultureInfo.InvariantCulture);
    }

    /// <summary>Dial's field: written field by field, as it is on every answer, with no JSON tree in between.</summary>
    /// <param name="cost">Null in a stream's first chunk when the cost is known only once the stream ends.</param>
    private static void WriteDial<T>(Utf8JsonWriter writer, RoutePlan plan, Routed<T> routed, string requestId, double? cost, double? recordedScore, ReplayMatch? replay)
    {
        var score = plan.ScoreOf(routed.Route.Name);
        writer.WriteStartObject("dial"u8);
        writer.WriteString("request_id"u8, requestId);
        writer.WriteString("model"u8, routed.Route.Name);
        writer.WriteString("upstream"u8, routed.Route.Upstream);
        writer.WriteString("router"u8, plan.Decision?.Router);
        writer.WriteString("profile"u8, plan.Profile?.Name);
        WriteNumberOrNull(writer, "expected_quality"u8, score?.ExpectedQuality);
        WriteNumberOrNull(writer, "expected_cost_usd"u8, score?.ExpectedCostUsd);
        if (cost is { } c) writer.WriteNumber("cost_usd"u8, c);
        if (plan.Preference is { } p)
        {
            writer.WriteStartObject("preference"u8);
            writer.WriteNumber("quality"u8, p.Quality);
            writer.WriteNumber("cost"u8, p.Cost);
            writer.WriteNumber("latency"u8, p.Latency);
            writer.WriteEndObject();
        }
        if (recordedScore is { } s) writer.WriteNumber("recorded_score"u8, s);
        if (replay is not null)
        {
            writer.WriteStartObject("replay"u8);
            writer.WriteString("prompt_id"u8, replay.PromptId);
            writer.WriteNumber("similarity"u8, Math.Round(replay.Similarity, 4));
            writer.WriteEndObject();
        }
        writer.WriteStartArray("fallbacks"u8);
        for (var i = 0; i < routed.Failures.Count; i++)
        {
            var f = routed.Failures[i];
            writer.WriteStartObject();
            writer.WriteString("model"u8, f.Model);
            writer.WriteString("reason"u8, f.Reason);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteNumberOrNull(Utf8JsonWriter writer, ReadOnlySpan<byte> name, double? value)
    {
        if (value is { } v) writer.WriteNumber(name, v);
        else writer.WriteNull(name);
    }

    private static string Format(Preference p) =>
        string.Create(CultureInfo.InvariantCulture, $"quality={p.Quality:G4},cost={p.Cost:G4},latency={p.Latency:G4}");

    /// <param name="Started">When the request arrived (a <see cref="Stopwatch"/> timestamp).</param>
    /// <param name="RoutingMs">Time spent planning the route: prompt encoding and the router's decision.</param>
    private readonly record struct Timing(long Started, TimeSpan PausedBefore, double RoutingMs)
    {
        public double ElapsedMs => Stopwatch.GetElapsedTime(Started).TotalMilliseconds;

        /// <summary>How long this process's garbage collections have paused it since the request arrived.</summary>
        public double PausedMs => (GC.GetTotalPauseDuration() - PausedBefore).TotalMilliseconds;
    }

    private sealed record Served(ModelRoute Route, double CostUsd, double UpstreamMs, int Status, int Fallbacks);
}

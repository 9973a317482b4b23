using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
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
        var requestId = "dialreq_" + Guid.NewGuid().ToString("N");
        http.Response.Headers[RequestIdHeader] = requestId;
        http.Items[RequestIdHeader] = requestId; // the error handler clears headers and puts this one back
        var ct = http.RequestAborted;
        using var request = await ChatRequest.ReadAsync(http.Request, ct);
        var client = ApiKeyFilter.Client(http);
        await spending.EnsureWithinCapAsync(client, ct);
        var planning = Stopwatch.GetTimestamp();
        var plan = core.Plan(request.Model, request.Prompt, request.Preference);
        var timing = new Timing(started, Stopwatch.GetElapsedTime(planning).TotalMilliseconds);
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
            // The upstream's fields go out as the raw bytes it sent; only the model's name and Dial's field are Dial's.
            writer.WriteStartObject();
            writer.WriteString("model"u8, routed.Route.Name);
            foreach (var property in reply.Body.RootElement.EnumerateObject())
            {
                if (property.NameEquals("model"u8) || property.NameEquals("dial"u8)) continue;
                writer.WritePropertyName(property.Name);
                writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(property.Value), skipInputValidation: true);
            }
            writer.WritePropertyName("dial"u8);
            DialField(plan, routed, requestId, reply.CostUsd, reply.RecordedScore, reply.Replay).WriteTo(writer);
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
                var data = first ? WithDial(payload, DialField(plan, routed, requestId, stream.RecordedCostUsd, stream.RecordedScore, stream.Replay))
                    : accounting.LastHadUsage ? WithDial(payload, new JsonObject { ["request_id"] = requestId, ["cost_usd"] = Cost() })
                    : payload;
                first = false;
                await http.Response.WriteAsync($"data: {data}\n\n", ct);
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

    /// <summary>An upstream chunk (already checked to be a JSON object) with Dial's field added.</summary>
    private static string WithDial(string payload, JsonObject dial)
    {
        var chunk = JsonNode.Parse(payload)!.AsObject();
        chunk["dial"] = dial;
        return chunk.ToJsonString(GatewayJson.Options);
    }

    private void WriteHeaders<T>(HttpContext http, RoutePlan plan, Routed<T> routed, Timing timing)
    {
        var headers = http.Response.Headers;
        // W3C Server-Timing: browsers' developer tools and clients see where a request's time went, and the load
        // test reads the gateway's own time per request from it whether the gateway runs in its process or not.
        headers["Server-Timing"] = string.Create(CultureInfo.InvariantCulture,
            $"dial;dur={timing.ElapsedMs - routed.UpstreamMs:0.###}, routing;dur={timing.RoutingMs:0.###}, upstream;dur={routed.UpstreamMs:0.###}");
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

    /// <param name="cost">Null in a stream's first chunk when the cost is known only once the stream ends.</param>
    private static JsonObject DialField<T>(RoutePlan plan, Routed<T> routed, string requestId, double? cost, double? recordedScore, ReplayMatch? replay)
    {
        var score = plan.ScoreOf(routed.Route.Name);
        var dial = new JsonObject
        {
            ["request_id"] = requestId,
            ["model"] = routed.Route.Name,
            ["upstream"] = routed.Route.Upstream,
            ["router"] = plan.Decision?.Router,
            ["profile"] = plan.Profile?.Name,
            ["expected_quality"] = score?.ExpectedQuality,
            ["expected_cost_usd"] = score?.ExpectedCostUsd,
        };
        if (cost is { } c) dial["cost_usd"] = c;
        if (plan.Preference is { } p)
            dial["preference"] = new JsonObject { ["quality"] = p.Quality, ["cost"] = p.Cost, ["latency"] = p.Latency };
        if (recordedScore is { } s) dial["recorded_score"] = s;
        if (replay is not null) dial["replay"] = new JsonObject { ["prompt_id"] = replay.PromptId, ["similarity"] = Math.Round(replay.Similarity, 4) };
        dial["fallbacks"] = new JsonArray(routed.Failures
            .Select(f => (JsonNode)new JsonObject { ["model"] = f.Model, ["reason"] = f.Reason }).ToArray());
        return dial;
    }

    private static string Format(Preference p) =>
        string.Create(CultureInfo.InvariantCulture, $"quality={p.Quality:G4},cost={p.Cost:G4},latency={p.Latency:G4}");

    /// <param name="Started">When the request arrived (a <see cref="Stopwatch"/> timestamp).</param>
    /// <param name="RoutingMs">Time spent planning the route: prompt encoding and the router's decision.</param>
    private readonly record struct Timing(long Started, double RoutingMs)
    {
        public double ElapsedMs => Stopwatch.GetElapsedTime(Started).TotalMilliseconds;
    }

    private sealed record Served(ModelRoute Route, double CostUsd, double UpstreamMs, int Status, int Fallbacks);
}

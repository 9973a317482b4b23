using System.Text.Json;
using System.Text.Json.Nodes;
using Dial.Gateway.Endpoints;
using Dial.Gateway.Routing;

namespace Dial.Gateway.Upstreams;

/// <summary>A provider of chat completions, spoken to in OpenAI's request and response JSON.</summary>
public interface IChatUpstream
{
    string Name { get; }

    Task<UpstreamReply> CompleteAsync(ChatCall call, CancellationToken ct);

    /// <summary>Returns once the stream is established (headers received), so a failure before then can still fall back.</summary>
    Task<UpstreamStream> OpenStreamAsync(ChatCall call, CancellationToken ct);
}

/// <summary>A client's chat request (OpenAI JSON, Dial's own fields removed) addressed to one model.</summary>
/// <param name="PromptText">The last user message: what routing and replay look at.</param>
public sealed record ChatCall(JsonObject Request, ModelRoute Route, string PromptText)
{
    /// <summary>The request as the upstream must see it (its own name for the model), as UTF-8 JSON.</summary>
    public byte[] BodyForUpstream()
    {
        // Attempts run one after another, so rewriting the one shared object is safe and saves a deep copy per attempt.
        Request["model"] = Route.UpstreamModel;
        // Straight to UTF-8: a string would be built only to be transcoded again by the HTTP content.
        return JsonSerializer.SerializeToUtf8Bytes(Request, GatewayJson.Options);
    }
}

/// <summary>Where a replayed answer came from: the recorded prompt, and how close it is to the asked one (1 for exact).</summary>
public sealed record ReplayMatch(string PromptId, double Similarity);

/// <summary>A complete answer and what it cost.</summary>
/// <param name="RecordedScore">The answer's recorded quality, known only for replayed answers.</param>
public sealed record UpstreamReply(JsonObject Body, double CostUsd, double? RecordedScore = null, ReplayMatch? Replay = null);

/// <summary>An established stream of server-sent events: each item is one event's JSON payload, without "data: " and without [DONE].</summary>
public abstract class UpstreamStream : IAsyncDisposable
{
    /// <summary>Cost as recorded by the upstream itself (replay); otherwise priced from usage by the gateway.</summary>
    public virtual double? RecordedCostUsd => null;

    public virtual double? RecordedScore => null;

    public virtual ReplayMatch? Replay => null;

    public abstract IAsyncEnumerable<string> ReadEventsAsync(CancellationToken ct);

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}

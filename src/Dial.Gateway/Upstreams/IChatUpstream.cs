using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using CommunityToolkit.HighPerformance.Buffers;
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

/// <summary>A client's chat request addressed to one model.</summary>
public sealed record ChatCall(ChatRequest Request, ModelRoute Route)
{
    /// <summary>The last user message: what routing and replay look at.</summary>
    public string PromptText => Request.Prompt;

    /// <summary>
    /// The request as the upstream must see it (its own name for the model, no <c>dial</c> field), as UTF-8 JSON in a
    /// buffer rented from the shared pool: dispose it to give it back.
    /// </summary>
    public ArrayPoolBufferWriter<byte> BodyForUpstream()
    {
        var buffer = new ArrayPoolBufferWriter<byte>(JsonMarshal.GetRawUtf8Value(Request.Body).Length + 64);
        using (var writer = new Utf8JsonWriter(buffer, GatewayJson.Writer))
            Request.WriteForUpstream(writer, Route.UpstreamModel);
        return buffer;
    }
}

/// <summary>Where a replayed answer came from: the recorded prompt, and how close it is to the asked one (1 for exact).</summary>
public sealed record ReplayMatch(string PromptId, double Similarity);

/// <summary>A complete answer and what it cost. Holds a pooled document: the receiver disposes it.</summary>
/// <param name="Body">The answer's JSON object, checked to have choices; passed on to the client as its raw bytes.</param>
/// <param name="RecordedScore">The answer's recorded quality, known only for replayed answers.</param>
public sealed record UpstreamReply(JsonDocument Body, double CostUsd, double? RecordedScore = null, ReplayMatch? Replay = null) : IDisposable
{
    public void Dispose() => Body.Dispose();
}

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

using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Dial.Data;
using Dial.Gateway.Routing;

namespace Dial.Gateway.Upstreams;

/// <summary>
/// Answers from a routing table's recorded responses, with their recorded cost and score: the default upstream,
/// so the gateway runs end to end with no keys and no network. The prompt is found by the exact text of the last
/// user message; an unknown prompt gets the answer recorded for the nearest recorded prompt by cosine similarity
/// of the encoder's features (reported in the response as <c>dial.replay.similarity</c>). A model with no
/// recorded answer for the prompt fails like an unavailable upstream, so the gateway falls back to the next candidate.
/// </summary>
public sealed class ReplayUpstream : IChatUpstream
{
    private const int StreamPieces = 16;

    private readonly RoutingTable _table;
    private readonly IPromptEncoder _encoder;
    private readonly Dictionary<string, int> _byText = new(StringComparer.Ordinal);
    private readonly float[] _features; // row p = encoder features of prompt p, L2-normalised by the encoder

    public ReplayUpstream(string name, RoutingData data)
    {
        Name = name;
        _table = data.Table;
        _encoder = data.Encoder;
        var d = _encoder.Dimension;
        _features = new float[_table.PromptCount * d];
        for (var p = 0; p < _table.PromptCount; p++)
        {
            _byText.TryAdd(_table.Prompts[p].Text, p);
            _encoder.Encode(_table.Prompts[p].Text).CopyTo(_features.AsSpan(p * d, d));
        }
    }

    public string Name { get; }

    public Task<UpstreamReply> CompleteAsync(ChatCall call, CancellationToken ct)
    {
        var (prompt, model, match) = Find(call);
        var text = _table.Response(prompt, model) ?? "";
        var outcome = _table.Outcome(prompt, model)!.Value;
        var body = new JsonObject
        {
            ["id"] = "chatcmpl-replay-" + Guid.NewGuid().ToString("N"),
            ["object"] = "chat.completion",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = call.Route.UpstreamModel,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text },
                ["finish_reason"] = "stop",
            }),
            ["usage"] = Usage(call, text, outcome),
        };
        return Task.FromResult(new UpstreamReply(System.Text.Json.JsonSerializer.SerializeToDocument(body), outcome.CostUsd, outcome.Score, match));
    }

    public Task<UpstreamStream> OpenStreamAsync(ChatCall call, CancellationToken ct)
    {
        var (prompt, model, match) = Find(call);
        var outcome = _table.Outcome(prompt, model)!.Value;
        return Task.FromResult<UpstreamStream>(new ReplayStream(call, _table.Response(prompt, model) ?? "", outcome, match));
    }

    private (int Prompt, int Model, ReplayMatch Match) Find(ChatCall call)
    {
        if (!_table.TryGetModelIndex(call.Route.UpstreamModel, out var model))
            throw new UpstreamException(Name, $"the table has no model '{call.Route.UpstreamModel}'", transient: false);
        var (prompt, similarity) = _byText.TryGetValue(call.PromptText, out var exact) ? (exact, 1.0) : Nearest(call.PromptText);
        if (!_table.Has(prompt, model))
            throw new UpstreamException(Name, $"no recorded answer of '{call.Route.UpstreamModel}' for prompt {_table.Prompts[prompt].Id}", transient: false);
        return (prompt, model, new ReplayMatch(_table.Prompts[prompt].Id, similarity));
    }

    private (int Prompt, double Similarity) Nearest(string text)
    {
        var query = _encoder.Encode(text);
        var d = query.Length;
        var (best, bestSim) = (0, float.NegativeInfinity);
        for (var p = 0; p < _table.PromptCount; p++)
        {
            var sim = TensorPrimitives.Dot(query, _features.AsSpan(p * d, d));
            if (sim > bestSim) (best, bestSim) = (p, sim);
        }
        return (best, bestSim);
    }

    private static JsonObject Usage(ChatCall call, string text, Outcome outcome)
    {
        var input = OpenAICompatibleUpstream.EstimateTokens(call.PromptText);
        var output = outcome.OutputTokens ?? OpenAICompatibleUpstream.EstimateTokens(text);
        return new JsonObject { ["prompt_tokens"] = input, ["completion_tokens"] = output, ["total_tokens"] = input + output };
    }

    /// <summary>Streams the recorded answer in OpenAI's chunk format, cut at word boundaries into a few pieces.</summary>
    private sealed class ReplayStream(ChatCall call, string text, Outcome outcome, ReplayMatch match) : UpstreamStream
    {
        public override double? RecordedCostUsd => outcome.CostUsd;

        public override double? RecordedScore => outcome.Score;

        public override ReplayMatch? Replay => match;

        public override async IAsyncEnumerable<string> ReadEventsAsync([EnumeratorCancellation] CancellationToken ct)
        {
            var id = "chatcmpl-replay-" + Guid.NewGuid().ToString("N");
            var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            yield return Chunk(id, created, new JsonObject { ["role"] = "assistant", ["content"] = "" }, null);
            foreach (var piece in Pieces(text))
            {
                ct.ThrowIfCancellationRequested();
                yield return Chunk(id, created, new JsonObject { ["content"] = piece }, null);
            }
            yield return Chunk(id, created, new JsonObject(), "stop");
            if (call.Request.Body.TryGetProperty("stream_options", out var options) && options.ValueKind == System.Text.Json.JsonValueKind.Object
                && options.TryGetProperty("include_usage", out var includeUsage) && includeUsage.ValueKind == System.Text.Json.JsonValueKind.True)
            {
                var usage = new JsonObject
                {
                    ["id"] = id, ["object"] = "chat.completion.chunk", ["created"] = created, ["model"] = call.Route.UpstreamModel,
                    ["choices"] = new JsonArray(), ["usage"] = Usage(call, text, outcome),
                };
                yield return usage.ToJsonString();
            }
            await Task.CompletedTask;
        }

        private string Chunk(string id, long created, JsonObject delta, string? finish) => new JsonObject
        {
            ["id"] = id,
            ["object"] = "chat.completion.chunk",
            ["created"] = created,
            ["model"] = call.Route.UpstreamModel,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
        }.ToJsonString();

        private static IEnumerable<string> Pieces(string text)
        {
            var size = Math.Max(1, (text.Length + StreamPieces - 1) / StreamPieces);
            var start = 0;
            while (start < text.Length)
            {
                var end = Math.Min(text.Length, start + size);
                while (end < text.Length && !char.IsWhiteSpace(text[end])) end++;
                yield return text[start..end];
                start = end;
            }
        }
    }
}

using System.Text.Json;
using Dial.Gateway.Upstreams;

namespace Dial.Gateway.Endpoints;

/// <summary>
/// Watches a passed-through stream's chunks for what the gateway needs afterwards (usage, or the length of the
/// content when the upstream reports no usage) and refuses chunks that are not JSON objects.
/// </summary>
internal sealed class StreamAccounting(string upstream)
{
    public int? PromptTokens { get; private set; }
    public int? CompletionTokens { get; private set; }
    public int ContentChars { get; private set; }

    /// <summary>An error object the upstream sent in-band, to be passed on as it is.</summary>
    public bool SawError { get; private set; }

    /// <summary>Whether the chunk seen last carried usage (the final chunk of a stream asked to include usage).</summary>
    public bool LastHadUsage { get; private set; }

    public void Observe(string payload)
    {
        LastHadUsage = false;
        try
        {
            using var doc = JsonDocument.Parse(payload);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new UpstreamException(upstream, "sent a stream chunk that is not a JSON object", transient: false);
            if (root.TryGetProperty("error", out _)) SawError = true;
            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                LastHadUsage = true;
                if (usage.TryGetProperty("prompt_tokens", out var p) && p.TryGetInt32(out var pt)) PromptTokens = pt;
                if (usage.TryGetProperty("completion_tokens", out var c) && c.TryGetInt32(out var contentTokens)) CompletionTokens = contentTokens;
            }
            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
                foreach (var choice in choices.EnumerateArray())
                    if (choice.TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                        ContentChars += content.GetString()!.Length;
        }
        catch (JsonException)
        {
            throw new UpstreamException(upstream, "sent a malformed stream chunk", transient: false);
        }
    }
}

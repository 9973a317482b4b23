using System.Collections.Concurrent;

namespace Dial;

/// <summary>
/// A prompt to route. Features are computed once per encoder and cached here, so a router, a sweep over
/// many preferences, and a fallback to the next candidate never encode the same text twice.
/// </summary>
public sealed class Prompt(string text)
{
    /// <summary>
    /// The first encoder's features: a prompt is nearly always encoded by one encoder only (one per routed request
    /// in the gateway), so that case costs one small object, not a concurrent dictionary per prompt.
    /// </summary>
    private Encoded? _first;

    private ConcurrentDictionary<IPromptEncoder, float[]>? _others;

    public string Text { get; } = text ?? throw new ArgumentNullException(nameof(text));

    public float[] Features(IPromptEncoder encoder)
    {
        var first = Volatile.Read(ref _first);
        if (first is null)
        {
            // Two threads racing on a new prompt may both encode it; the encoding is deterministic, and the first stored wins.
            var encoded = new Encoded(encoder, encoder.Encode(Text));
            first = Interlocked.CompareExchange(ref _first, encoded, null) ?? encoded;
        }
        if (ReferenceEquals(first.Encoder, encoder)) return first.Features;
        if (Volatile.Read(ref _others) is null)
            Interlocked.CompareExchange(ref _others, new ConcurrentDictionary<IPromptEncoder, float[]>(ReferenceEqualityComparer.Instance), null);
        return _others!.GetOrAdd(encoder, static (e, t) => e.Encode(t), Text);
    }

    /// <summary>The features this encoder already gave, or null: a router may then encode into its own buffer.</summary>
    public float[]? EncodedFeatures(IPromptEncoder encoder)
    {
        var first = Volatile.Read(ref _first);
        if (first is not null && ReferenceEquals(first.Encoder, encoder)) return first.Features;
        return Volatile.Read(ref _others) is { } others && others.TryGetValue(encoder, out var features) ? features : null;
    }

    private sealed record Encoded(IPromptEncoder Encoder, float[] Features);
}

using System.Collections.Concurrent;

namespace Dial;

/// <summary>
/// A prompt to route. Features are computed once per encoder and cached here, so a router, a sweep over
/// many preferences, and a fallback to the next candidate never encode the same text twice.
/// </summary>
public sealed class Prompt(string text)
{
    private readonly ConcurrentDictionary<IPromptEncoder, float[]> _features = new(ReferenceEqualityComparer.Instance);

    public string Text { get; } = text ?? throw new ArgumentNullException(nameof(text));

    public float[] Features(IPromptEncoder encoder) => _features.GetOrAdd(encoder, static (e, t) => e.Encode(t), Text);
}

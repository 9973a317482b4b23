namespace Dial;

/// <summary>One routing question: which of these candidates should answer this prompt, under this trade-off?</summary>
public sealed record RoutingRequest(Prompt Prompt, Preference Preference, IReadOnlyList<ModelCard> Candidates)
{
    public RoutingRequest(string prompt, Preference preference, IReadOnlyList<ModelCard> candidates)
        : this(new Prompt(prompt), preference, candidates) { }
}

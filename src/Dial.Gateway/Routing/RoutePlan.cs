namespace Dial.Gateway.Routing;

/// <summary>
/// What a request will try, in order: for a routed name, the router's ranked candidates; for a concrete
/// model name, that model alone.
/// </summary>
/// <param name="Decision">The router's decision; null when the client named a model itself.</param>
public sealed record RoutePlan(
    string RequestedModel,
    RoutingProfile? Profile,
    Preference? Preference,
    RoutingDecision? Decision,
    IReadOnlyList<ModelRoute> Attempts)
{
    /// <summary>The router's view of a candidate, if it was routed.</summary>
    public CandidateScore? ScoreOf(string model)
    {
        // A loop, not a LINQ lookup: asked several times per request, and a lambda capturing the name is garbage each time.
        var candidates = Decision?.Candidates ?? [];
        for (var i = 0; i < candidates.Count; i++)
            if (candidates[i].Model == model) return candidates[i];
        return null;
    }
}

/// <summary>One candidate given up on, and why (never with an upstream key or URL).</summary>
public sealed record AttemptFailure(string Model, string Upstream, string Reason);

/// <summary>The answer of the candidate that succeeded, with the ones abandoned before it.</summary>
public sealed record Routed<T>(T Value, ModelRoute Route, IReadOnlyList<AttemptFailure> Failures, double UpstreamMs);

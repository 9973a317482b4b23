namespace Dial;

/// <summary>How a router judged one candidate.</summary>
/// <param name="Utility">The router's score for the candidate under the request's preference; the chosen one has the highest.</param>
/// <param name="ExpectedQuality">Predicted score in [0, 1], where the router predicts one.</param>
/// <param name="ExpectedCostUsd">Predicted cost of the call, where the router predicts one.</param>
/// <param name="Probability">The policy's probability of the candidate, for stochastic routers; logged for off-policy evaluation.</param>
public sealed record CandidateScore(
    string Model,
    double Utility,
    double? ExpectedQuality = null,
    double? ExpectedCostUsd = null,
    double? Probability = null);

/// <summary>A router's answer: the chosen model and how every candidate scored.</summary>
public sealed record RoutingDecision(string Router, string Model, IReadOnlyList<CandidateScore> Candidates)
{
    public CandidateScore Chosen => Candidates.First(c => c.Model == Model);

    /// <summary>Candidates best first: the order a gateway falls back in.</summary>
    /// <remarks>A sorted copy: asked on every routed request, where LINQ's ordering made iterators, key arrays and a sort map each time.</remarks>
    public IReadOnlyList<CandidateScore> Ranked
    {
        get
        {
            var ranked = Candidates.ToArray();
            Array.Sort(ranked, static (a, b) => b.Utility.CompareTo(a.Utility) is var byUtility and not 0 ? byUtility : string.CompareOrdinal(a.Model, b.Model));
            return ranked;
        }
    }

    /// <summary>
    /// Builds a decision that picks the candidate of highest utility. Ties go to the smaller model name, not to
    /// the earlier candidate, so the order candidates come in never changes a decision.
    /// </summary>
    public static RoutingDecision ArgMax(string router, IReadOnlyList<CandidateScore> candidates)
    {
        if (candidates.Count == 0) throw new ArgumentException("a routing decision needs at least one candidate", nameof(candidates));
        var best = 0;
        for (var i = 1; i < candidates.Count; i++)
        {
            var (c, b) = (candidates[i], candidates[best]);
            if (c.Utility > b.Utility || (c.Utility == b.Utility && string.CompareOrdinal(c.Model, b.Model) < 0)) best = i;
        }
        return new RoutingDecision(router, candidates[best].Model, candidates);
    }
}

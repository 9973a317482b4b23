namespace Dial.Learning;

/// <summary>
/// A router's predicted quality and cost of each candidate of one prompt, in the candidates' order. Cost is in
/// the router's own unit (USD per call for the baselines, the reward scale's unit for the policy).
/// </summary>
public sealed class CandidatePredictions
{
    private readonly ModelCard[] _candidates;

    public CandidatePredictions(IReadOnlyList<ModelCard> candidates)
    {
        _candidates = [.. candidates];
        Quality = new double[_candidates.Length];
        Cost = new double[_candidates.Length];
    }

    public IReadOnlyList<ModelCard> Candidates => _candidates;

    public double[] Quality { get; }

    public double[] Cost { get; }

    /// <summary>
    /// Whether these predictions were made for exactly these cards, in this order. Cards are immutable, so the
    /// same card objects mean the same prices; a changed card is a new object and makes the predictions stale.
    /// </summary>
    public bool AreFor(IReadOnlyList<ModelCard> candidates)
    {
        if (candidates.Count != _candidates.Length) return false;
        for (var k = 0; k < _candidates.Length; k++)
            if (!ReferenceEquals(candidates[k], _candidates[k])) return false;
        return true;
    }
}

/// <summary>
/// A router that predicts each candidate's quality and cost from the prompt alone, then takes the argmax of the
/// preference's utility over the predictions. A sweep over many preferences (the evaluation harness) predicts each
/// prompt once and only redoes the cheap decision; <see cref="IRouter.Route"/> predicts afresh, so serving keeps no
/// per-prompt state.
/// </summary>
public interface IPredictThenOptimiseRouter : IRouter
{
    /// <summary>Each candidate's predicted quality and cost, in the candidates' order.</summary>
    CandidatePredictions Predict(Prompt prompt, IReadOnlyList<ModelCard> candidates);

    /// <summary>The decision under the request's preference from predictions made for its candidates.</summary>
    RoutingDecision Decide(RoutingRequest request, CandidatePredictions predictions);
}

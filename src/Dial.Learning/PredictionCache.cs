using System.Runtime.CompilerServices;

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
/// Per-prompt predictions of a predict-then-optimise router: its predicted quality and cost do not depend on the
/// preference, so a sweep over many preferences (or a second decision on the same prompt) predicts once and only
/// redoes the cheap argmax. Predictions hang weakly off the <see cref="Prompt"/> object and go with it; a prompt
/// routed over other candidates is predicted again. Safe to share between threads: an entry is complete before
/// it is published, and two threads racing on one prompt both compute the same predictions.
/// </summary>
/// <remarks>A router that changes its parameters must <see cref="Clear"/> the cache, with no decision reading it meanwhile.</remarks>
public sealed class PredictionCache
{
    private readonly ConditionalWeakTable<Prompt, CandidatePredictions> _entries = new();

    /// <summary>The cached predictions for these candidates, or <paramref name="predict"/>'s, which are then cached.</summary>
    public CandidatePredictions Get(Prompt prompt, IReadOnlyList<ModelCard> candidates, Func<Prompt, IReadOnlyList<ModelCard>, CandidatePredictions> predict)
    {
        if (_entries.TryGetValue(prompt, out var cached) && cached.AreFor(candidates)) return cached;
        var predictions = predict(prompt, candidates);
        _entries.AddOrUpdate(prompt, predictions);
        return predictions;
    }

    /// <summary>Forgets every prompt's predictions.</summary>
    public void Clear() => _entries.Clear();
}

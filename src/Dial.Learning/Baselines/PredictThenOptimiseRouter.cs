using System.Runtime.CompilerServices;

namespace Dial.Learning.Baselines;

/// <summary>
/// Routes by predicting each candidate's score and cost and taking the argmax of the preference's utility over
/// the predictions. Predictions depend on the prompt alone, so they are cached per <see cref="Prompt"/>: a sweep
/// over many preferences, or a fallback down the ranking, predicts once.
/// </summary>
public sealed class PredictThenOptimiseRouter : IRouter
{
    private readonly IOutcomePredictor _predictor;
    private readonly Dictionary<string, int> _modelIndex;
    private readonly ConditionalWeakTable<Prompt, Prediction> _cache = new();

    public PredictThenOptimiseRouter(string name, IOutcomePredictor predictor, RewardScale scale)
    {
        Name = name;
        _predictor = predictor;
        Scale = scale;
        _modelIndex = predictor.Models.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => x.i, StringComparer.Ordinal);
    }

    public string Name { get; }

    /// <summary>The reward scale of the training data; it fixes what a preference means to this router.</summary>
    public RewardScale Scale { get; }

    public RoutingDecision Route(RoutingRequest request)
    {
        var prediction = _cache.GetValue(request.Prompt, Predict);
        var scores = new CandidateScore[request.Candidates.Count];
        for (var i = 0; i < scores.Length; i++)
        {
            var name = request.Candidates[i].Name;
            if (!_modelIndex.TryGetValue(name, out var m))
                throw new ArgumentException($"router '{Name}' was not trained on model '{name}'; it knows: {string.Join(", ", _predictor.Models)}");
            var (q, c) = (prediction.Score[m], prediction.Cost[m]);
            scores[i] = new CandidateScore(name, request.Preference.Utility(q, c, 0, Scale), q, c);
        }
        return RoutingDecision.ArgMax(Name, scores);
    }

    private Prediction Predict(Prompt prompt)
    {
        var k = _predictor.Models.Count;
        var prediction = new Prediction(new double[k], new double[k]);
        _predictor.Predict(prompt, prediction.Score, prediction.Cost);
        return prediction;
    }

    private sealed record Prediction(double[] Score, double[] Cost);
}

namespace Dial.Learning.Baselines;

/// <summary>
/// Routes by predicting each candidate's score and cost and taking the argmax of the preference's utility over
/// the predictions.
/// </summary>
public sealed class PredictThenOptimiseRouter : IPredictThenOptimiseRouter
{
    private readonly IOutcomePredictor _predictor;
    private readonly Dictionary<string, int> _modelIndex;

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

    public RoutingDecision Route(RoutingRequest request) => Decide(request, Predict(request.Prompt, request.Candidates));

    public RoutingDecision Decide(RoutingRequest request, CandidatePredictions prediction)
    {
        if (!prediction.AreFor(request.Candidates)) throw new ArgumentException("the predictions were made for other candidates than the request's");
        var scores = new CandidateScore[request.Candidates.Count];
        for (var i = 0; i < scores.Length; i++)
        {
            var (q, c) = (prediction.Quality[i], prediction.Cost[i]);
            scores[i] = new CandidateScore(request.Candidates[i].Name, request.Preference.Utility(q, c, 0, Scale), q, c);
        }
        return RoutingDecision.ArgMax(Name, scores);
    }

    public CandidatePredictions Predict(Prompt prompt, IReadOnlyList<ModelCard> candidates)
    {
        var rows = new int[candidates.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            var name = candidates[i].Name;
            if (!_modelIndex.TryGetValue(name, out rows[i]))
                throw new ArgumentException($"router '{Name}' was not trained on model '{name}'; it knows: {string.Join(", ", _predictor.Models)}");
        }
        var k = _predictor.Models.Count;
        var (score, cost) = (new double[k], new double[k]);
        _predictor.Predict(prompt, score, cost);
        var predictions = new CandidatePredictions(candidates);
        for (var i = 0; i < rows.Length; i++)
        {
            predictions.Quality[i] = score[rows[i]];
            predictions.Cost[i] = cost[rows[i]];
        }
        return predictions;
    }
}

namespace Dial.Learning.Online;

/// <summary>
/// LinUCB with disjoint per-model models (Li et al. 2010): picks the candidate whose predicted utility plus
/// alpha times its uncertainty is highest. Optimism makes it try a model until its estimate is sure enough
/// to rule it out. Deterministic given the state, so the chosen model's probability is 1.
/// </summary>
public sealed class LinUcbRouter : LinearBanditRouter
{
    public const string KindName = "linucb";

    public LinUcbRouter(PcaEncoder features, RewardScale scale, BanditOptions options, double alpha)
        : base(features, scale, options)
    {
        Alpha = CheckAlpha(alpha);
    }

    public static double CheckAlpha(double alpha) =>
        alpha >= 0 && double.IsFinite(alpha) ? alpha : throw new ArgumentException($"LinUCB's alpha must be a finite non-negative number, got {alpha}", nameof(alpha));

    public double Alpha { get; }

    public override string Kind => KindName;

    public override double Exploration => Alpha;

    internal override RoutingDecision Decide(ArmPrediction[] predictions, ref DecisionRandom random)
    {
        var scores = new CandidateScore[predictions.Length];
        for (var i = 0; i < predictions.Length; i++)
        {
            var p = predictions[i];
            // Utility is linear in quality and cost, so its confidence width is the weighted sum of theirs.
            var bound = p.Utility + Alpha * p.Width * (p.QualityWeight + p.CostWeight);
            scores[i] = new CandidateScore(p.Model.Name, bound, p.Quality, p.CostUsd);
        }
        var decision = RoutingDecision.ArgMax(Name, scores);
        return decision with { Candidates = scores.Select(s => s with { Probability = s.Model == decision.Model ? 1.0 : 0.0 }).ToArray() };
    }
}

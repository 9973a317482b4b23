namespace Dial.Learning.Online;

/// <summary>
/// Linear Thompson sampling (Agrawal and Goyal 2013): each model's quality and cost weights have the Gaussian
/// posterior N(A^-1 b, v^2 A^-1) of Bayesian linear regression, and the router picks the model whose sampled
/// utility is highest. Only the utility at this request's context matters, and under that posterior it is a
/// scalar Gaussian with mean the predicted utility and variance v^2 (w_q^2 + w_c^2) x^T A^-1 x, so one scalar
/// draw per model is an exact posterior sample at O(d^2), without a d x d Cholesky factor per decision.
/// The probability of each choice has no closed form and is left unset.
/// </summary>
public sealed class LinearThompsonRouter : LinearBanditRouter
{
    public const string KindName = "ts";

    public LinearThompsonRouter(PcaEncoder features, RewardScale scale, BanditOptions options, double posteriorScale)
        : base(features, scale, options)
    {
        PosteriorScale = CheckPosteriorScale(posteriorScale);
    }

    public static double CheckPosteriorScale(double scale) =>
        scale >= 0 && double.IsFinite(scale) ? scale : throw new ArgumentException($"Thompson sampling's posterior scale must be a finite non-negative number, got {scale}", nameof(scale));

    /// <summary>v: the assumed outcome noise, which scales the posterior's spread.</summary>
    public double PosteriorScale { get; }

    public override string Kind => KindName;

    public override double Exploration => PosteriorScale;

    internal override RoutingDecision Decide(ArmPrediction[] predictions, ref DecisionRandom random)
    {
        var scores = new CandidateScore[predictions.Length];
        for (var i = 0; i < predictions.Length; i++)
        {
            var p = predictions[i];
            var spread = PosteriorScale * p.Width * Math.Sqrt(p.QualityWeight * p.QualityWeight + p.CostWeight * p.CostWeight);
            scores[i] = new CandidateScore(p.Model.Name, p.Utility + spread * random.NextGaussian(), p.Quality, p.CostUsd);
        }
        return RoutingDecision.ArgMax(Name, scores);
    }
}

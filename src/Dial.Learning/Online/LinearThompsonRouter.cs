namespace Dial.Learning.Online;

/// <summary>
/// Linear Thompson sampling (Agrawal and Goyal 2013): each model's quality and cost weights have the Gaussian
/// posterior N(A^-1 b, v^2 A^-1) of Bayesian linear regression, and the router picks the model whose sampled
/// utility is highest. Only the utility at this request's context matters, and under that posterior it is a
/// scalar Gaussian with mean the predicted utility and variance v^2 (w_q^2 + w_c^2) x^T A^-1 x, so one scalar
/// draw per model is an exact posterior sample at O(d^2), without a d x d Cholesky factor per decision.
/// <para>
/// Each choice's probability (for off-policy evaluation of the logs) is the chance that the arm's draw is the
/// highest. It has no closed form for more than two arms, so it is estimated by Monte Carlo over
/// <see cref="PropensityDraws"/> draws of every arm's utility, the decision's own draw being one of them: the
/// estimates sum to 1, the chosen arm's is at least 1/<see cref="PropensityDraws"/> (so an inverse-propensity
/// weight stays finite), and each has standard error at most 0.5/sqrt(<see cref="PropensityDraws"/>) ≈ 0.03.
/// Arms that cannot win (mean plus 6 spreads below another arm's mean minus 6 spreads: probability under 1e-9)
/// are given 0 and not drawn, so the cost is <see cref="PropensityDraws"/> draws per arm still in contention.
/// </para>
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

    /// <summary>Utility draws per decision for the choice probabilities (one is the decision's own).</summary>
    public const int PropensityDraws = 256;

    private const double Contention = 6;

    internal override RoutingDecision Decide(ArmPrediction[] predictions, ref DecisionRandom random)
    {
        var n = predictions.Length;
        Span<double> mean = n <= 64 ? stackalloc double[n] : new double[n];
        Span<double> spread = n <= 64 ? stackalloc double[n] : new double[n];
        Span<double> draw = n <= 64 ? stackalloc double[n] : new double[n];
        for (var i = 0; i < n; i++)
        {
            var p = predictions[i];
            mean[i] = p.Utility;
            spread[i] = PosteriorScale * p.Width * Math.Sqrt(p.QualityWeight * p.QualityWeight + p.CostWeight * p.CostWeight);
            draw[i] = mean[i] + spread[i] * random.NextGaussian();
        }
        var chosen = Best(predictions, draw, null);
        var wins = ChoiceCounts(predictions, mean, spread, chosen, ref random);
        var scores = new CandidateScore[n];
        for (var i = 0; i < n; i++)
            scores[i] = new CandidateScore(predictions[i].Model.Name, draw[i], predictions[i].Quality, predictions[i].CostUsd, (double)wins[i] / PropensityDraws);
        return RoutingDecision.ArgMax(Name, scores);
    }

    /// <summary>How often each arm wins among <see cref="PropensityDraws"/> draws, the first being the decision's (won by <paramref name="chosen"/>).</summary>
    private static int[] ChoiceCounts(ArmPrediction[] predictions, ReadOnlySpan<double> mean, ReadOnlySpan<double> spread, int chosen, ref DecisionRandom random)
    {
        var n = mean.Length;
        var floor = double.NegativeInfinity;
        for (var i = 0; i < n; i++) floor = Math.Max(floor, mean[i] - Contention * spread[i]);
        Span<bool> contending = n <= 64 ? stackalloc bool[n] : new bool[n];
        var contenders = 0;
        for (var i = 0; i < n; i++)
            if (contending[i] = mean[i] + Contention * spread[i] >= floor) contenders++;
        var wins = new int[n];
        wins[chosen] = 1;
        if (contenders == 1)
        {
            wins[contending.IndexOf(true)] += PropensityDraws - 1;
            return wins;
        }
        Span<double> draw = n <= 64 ? stackalloc double[n] : new double[n];
        Span<double> normals = n <= 32 ? stackalloc double[2 * n] : new double[2 * n];
        for (var d = 1; d < PropensityDraws; d++)
        {
            // Normals come in Box–Muller pairs: one transform per two draws, for this loop is most of a decision's cost.
            var k = (d - 1) % 2;
            if (k == 0)
                for (var i = 0; i < n; i++)
                    if (contending[i]) (normals[2 * i], normals[2 * i + 1]) = random.NextGaussianPair();
            for (var i = 0; i < n; i++)
                draw[i] = contending[i] ? mean[i] + spread[i] * normals[2 * i + k] : double.NegativeInfinity;
            wins[Best(predictions, draw, contending)]++;
        }
        return wins;
    }

    /// <summary>The highest draw, ties to the ordinally first name (as <see cref="RoutingDecision.ArgMax"/>).</summary>
    private static int Best(ArmPrediction[] predictions, ReadOnlySpan<double> draw, ReadOnlySpan<bool> contending)
    {
        var best = -1;
        for (var i = 0; i < draw.Length; i++)
        {
            if (!contending.IsEmpty && !contending[i]) continue;
            if (best < 0 || draw[i] > draw[best] || (draw[i] == draw[best] && string.CompareOrdinal(predictions[i].Model.Name, predictions[best].Model.Name) < 0)) best = i;
        }
        return best;
    }
}

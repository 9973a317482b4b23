namespace Dial.Learning.Online;

/// <summary>
/// The floor every smarter learner must beat: with probability epsilon a uniformly random candidate, otherwise
/// the one of highest predicted utility. With epsilon 0 and fed every outcome of a training table it is the
/// offline per-model ridge router. Candidates report the policy's exact probabilities, for off-policy evaluation.
/// </summary>
public sealed class EpsilonGreedyRouter : LinearBanditRouter
{
    public const string KindName = "egreedy";

    public EpsilonGreedyRouter(PcaEncoder features, RewardScale scale, BanditOptions options, double epsilon)
        : base(features, scale, options)
    {
        Epsilon = CheckEpsilon(epsilon);
    }

    public static double CheckEpsilon(double epsilon) =>
        epsilon >= 0 && epsilon <= 1 ? epsilon : throw new ArgumentException($"epsilon must be in [0, 1], got {epsilon}", nameof(epsilon));

    public double Epsilon { get; }

    public override string Kind => KindName;

    public override double Exploration => Epsilon;

    /// <summary>At epsilon 0 it never explores: a greedy per-model ridge router on the bandit's features, named as such.</summary>
    public const string GreedyName = "bandit-ridge";

    public override string Name => Epsilon == 0 ? Windowed(GreedyName) : base.Name;

    internal override RoutingDecision Decide(ArmPrediction[] predictions, ref DecisionRandom random)
    {
        var scores = predictions.Select(p => new CandidateScore(p.Model.Name, p.Utility, p.Quality, p.CostUsd)).ToArray();
        var greedy = RoutingDecision.ArgMax(Name, scores).Model;
        var explore = random.NextDouble() < Epsilon;
        // The exploring draw is taken on every call, so the stream stays aligned whether or not this one explores.
        var pick = random.NextInt(scores.Length);
        var chosen = explore ? scores[pick].Model : greedy;
        var uniform = Epsilon / scores.Length;
        // Utility stays the predicted one, so Ranked still offers the best predicted model first as the fallback.
        return new RoutingDecision(Name, chosen,
            scores.Select(s => s with { Probability = uniform + (s.Model == greedy ? 1 - Epsilon : 0) }).ToArray());
    }
}

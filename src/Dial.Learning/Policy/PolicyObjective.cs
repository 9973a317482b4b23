namespace Dial.Learning.Policy;

/// <summary>
/// The training losses of the policy, each computed on a pass already run forward and, when asked, turned into
/// gradients on the network. Three parts, weighted by <see cref="PolicyOptions"/>:
/// <list type="bullet">
/// <item>the policy-gradient term: REINFORCE −A·log π(a) for bandit feedback (A = r − b with b the learned
/// baseline, held constant), or −Σₖ πₖ rₖ, the expected reward over all arms, for full information;</item>
/// <item>−η·H(π), the entropy bonus that keeps the policy exploring;</item>
/// <item>supervised terms on the arms whose outcomes were observed: cross-entropy of q̂ against the recorded score
/// and squared error of log ĉ against log(recorded cost + ε). With bandit feedback that is the sampled arm only.</item>
/// </list>
/// </summary>
public sealed class PolicyObjective(PolicyOptions options, int maxCandidates)
{
    /// <summary>Keeps the log of a free call finite; far below any real price in cost units.</summary>
    public const float CostFloor = 1e-4f;

    private readonly float[] _logitGradient = new float[maxCandidates];
    private readonly float[] _qualityGradient = new float[maxCandidates];
    private readonly float[] _costGradient = new float[maxCandidates];

    /// <summary>One bandit episode: action <paramref name="action"/> was sampled and only its outcome is known.</summary>
    public double Bandit(PolicyNetwork network, PolicyPass pass, ReadOnlySpan<float> features, int action, float advantage, float score, float costUnits, bool backward)
    {
        Clear(pass.Count);
        var loss = Entropy(pass);
        var p = pass.Probability;
        loss += -advantage * Math.Log(Math.Max(p[action], 1e-30f));
        for (var k = 0; k < pass.Count; k++) _logitGradient[k] += -advantage * ((k == action ? 1 : 0) - p[k]);
        loss += Supervise(pass, action, score, costUnits);
        if (backward) network.Backward(pass, features, _logitGradient, _qualityGradient, _costGradient);
        return loss;
    }

    /// <summary>One full-information episode: every candidate's outcome is known.</summary>
    public double Full(PolicyNetwork network, PolicyPass pass, ReadOnlySpan<float> features, ReadOnlySpan<float> rewards, ReadOnlySpan<float> scores, ReadOnlySpan<float> costUnits, bool backward)
    {
        Clear(pass.Count);
        var loss = Entropy(pass);
        var p = pass.Probability;
        double expected = 0;
        for (var k = 0; k < pass.Count; k++) expected += p[k] * rewards[k];
        loss -= expected;
        for (var k = 0; k < pass.Count; k++)
        {
            _logitGradient[k] += -p[k] * (rewards[k] - (float)expected);
            loss += Supervise(pass, k, scores[k], costUnits[k]);
        }
        if (backward) network.Backward(pass, features, _logitGradient, _qualityGradient, _costGradient);
        return loss;
    }

    /// <summary>
    /// Supervised terms only, the warm start before the policy acts: on every candidate whose score is given
    /// (a NaN score marks an arm whose outcome was not observed).
    /// </summary>
    public double WarmStart(PolicyNetwork network, PolicyPass pass, ReadOnlySpan<float> features, ReadOnlySpan<float> scores, ReadOnlySpan<float> costUnits, bool backward)
    {
        Clear(pass.Count);
        double loss = 0;
        for (var k = 0; k < pass.Count; k++)
            if (!float.IsNaN(scores[k])) loss += Supervise(pass, k, scores[k], costUnits[k]);
        if (backward) network.Backward(pass, features, _logitGradient, _qualityGradient, _costGradient);
        return loss;
    }

    private void Clear(int count)
    {
        _logitGradient.AsSpan(0, count).Clear();
        _qualityGradient.AsSpan(0, count).Clear();
        _costGradient.AsSpan(0, count).Clear();
    }

    /// <summary>−η·H(π); dH/dlogitₖ = −πₖ(log πₖ + H).</summary>
    private double Entropy(PolicyPass pass)
    {
        var eta = options.EntropyWeight;
        if (eta == 0) return 0;
        var p = pass.Probability;
        double h = 0;
        for (var k = 0; k < pass.Count; k++) if (p[k] > 0) h -= p[k] * Math.Log(p[k]);
        for (var k = 0; k < pass.Count; k++)
            if (p[k] > 0) _logitGradient[k] += eta * p[k] * (float)(Math.Log(p[k]) + h);
        return -eta * h;
    }

    private double Supervise(PolicyPass pass, int k, float score, float costUnits)
    {
        var s = pass.QualityLogit[k];
        // Cross-entropy with a soft target, from log σ(s) = −softplus(−s) so large logits stay finite.
        var crossEntropy = score * Softplus(-s) + (1 - score) * Softplus(s);
        _qualityGradient[k] += options.QualityLossWeight * (pass.Quality[k] - score);
        var error = pass.LogCost[k] - MathF.Log(costUnits + CostFloor);
        _costGradient[k] += options.CostLossWeight * error;
        return options.QualityLossWeight * crossEntropy + options.CostLossWeight * 0.5 * error * error;
    }

    private static double Softplus(double x) => x > 0 ? x + Math.Log(1 + Math.Exp(-x)) : Math.Log(1 + Math.Exp(x));
}

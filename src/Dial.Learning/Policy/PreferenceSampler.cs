using MathNet.Numerics.Distributions;

namespace Dial.Learning.Policy;

/// <summary>
/// Draws the preference of a training episode: with probability <see cref="CornerProbability"/> one of the
/// simplex's corners (quality only, cost only, latency only), otherwise a Dirichlet draw. The default puts a
/// concentration below one on cost, which leans draws towards quality-heavy weights: the cost unit is the
/// priciest model's mean cost, so every weight above about 0.3 already picks the cheapest model and the
/// decisions that need learning sit at small cost weights.
/// </summary>
public sealed record PreferenceSampler(double CornerProbability, double QualityConcentration, double CostConcentration, double LatencyConcentration)
{
    public static PreferenceSampler Default { get; } = new(0.15, 1.0, 0.5, 0.5);

    /// <param name="latency">Whether latency is part of the trade-off (only when model cards carry latencies).</param>
    public Preference Sample(Random random, bool latency)
    {
        var objectives = latency ? 3 : 2;
        if (random.NextDouble() < CornerProbability)
        {
            return random.Next(objectives) switch
            {
                0 => new Preference(1, 0),
                1 => new Preference(0, 1),
                _ => new Preference(0, 0, 1),
            };
        }
        double[] alpha = latency ? [QualityConcentration, CostConcentration, LatencyConcentration] : [QualityConcentration, CostConcentration];
        var w = Dirichlet.Sample(random, alpha);
        return new Preference(w[0], w[1], latency ? w[2] : 0);
    }
}

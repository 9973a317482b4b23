namespace Dial.Learning.Policy.Ablations;

/// <summary>
/// The "no preference conditioning" ablation: a policy trained at one fixed cost weight, as a router would be
/// that is retrained for every trade-off. Every episode gets (1 − w, w) up to a negligible jitter.
/// </summary>
public static class FixedTradeOff
{
    /// <summary>
    /// A Dirichlet this concentrated has a standard deviation below 1e-3 around (1 − w, w): the sampler's own
    /// form, so the policy trainer is used unchanged. Latency gets a weight that is zero to float precision.
    /// </summary>
    private const double Concentration = 1e6;

    private const double NegligibleLatency = 1e-6;

    public static PreferenceSampler Sampler(double costWeight)
    {
        if (!(costWeight > 0 && costWeight < 1))
            throw new ArgumentOutOfRangeException(nameof(costWeight), costWeight, "a fixed trade-off needs a cost weight strictly between 0 and 1");
        return new PreferenceSampler(0, (1 - costWeight) * Concentration, costWeight * Concentration, NegligibleLatency);
    }

    /// <summary>
    /// <paramref name="count"/> cost weights w = λ/(1 + λ), λ log-spaced over [1e-3, 10]: the range where the
    /// policy's decisions change (above about w = 0.3 every router picks the cheapest model).
    /// </summary>
    public static double[] Weights(int count)
    {
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), count, "need at least two fixed trade-offs to form a curve");
        return Enumerable.Range(0, count).Select(i =>
        {
            var lambda = Math.Pow(10, -3 + 4.0 * i / (count - 1));
            return lambda / (1 + lambda);
        }).ToArray();
    }
}

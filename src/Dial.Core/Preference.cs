namespace Dial;

/// <summary>
/// A request's trade-off: non-negative weights on quality, cost and latency. Only their ratios matter;
/// <see cref="Normalized"/> puts them on the simplex, which is where routers and rewards read them.
/// </summary>
public readonly record struct Preference
{
    public double Quality { get; }
    public double Cost { get; }
    public double Latency { get; }

    public Preference(double quality, double cost, double latency = 0)
    {
        Check(quality, nameof(quality));
        Check(cost, nameof(cost));
        Check(latency, nameof(latency));
        if (quality + cost + latency <= 0)
            throw new ArgumentException("preference weights must not all be zero");
        Quality = quality;
        Cost = cost;
        Latency = latency;
    }

    /// <summary>The two-objective dial used by sweeps: quality weight 1 - w, cost weight w.</summary>
    public static Preference FromCostWeight(double costWeight)
    {
        if (!(costWeight >= 0 && costWeight <= 1))
            throw new ArgumentOutOfRangeException(nameof(costWeight), costWeight, "cost weight must be in [0, 1]");
        return new Preference(1 - costWeight, costWeight);
    }

    public static Preference QualityOnly { get; } = new(1, 0);

    public Preference Normalized()
    {
        var sum = Quality + Cost + Latency;
        return new Preference(Quality / sum, Cost / sum, Latency / sum);
    }

    /// <summary>The scalar reward this preference gives an outcome, with cost and latency on the scale's units.</summary>
    public double Utility(double quality, double costUsd, double latencyMs, RewardScale scale)
    {
        var p = Normalized();
        return p.Quality * quality - p.Cost * scale.NormalizeCost(costUsd) - p.Latency * scale.NormalizeLatency(latencyMs);
    }

    public override string ToString() => $"quality={Quality:G4} cost={Cost:G4} latency={Latency:G4}";

    private static void Check(double value, string name)
    {
        if (!(value >= 0 && double.IsFinite(value)))
            throw new ArgumentOutOfRangeException(name, value, $"preference weight '{name}' must be a finite non-negative number");
    }
}

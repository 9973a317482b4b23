namespace Dial;

/// <summary>
/// Puts cost and latency on the same footing as a quality score in [0, 1], so a preference weight means the
/// same thing on any model pool. One unit of normalised cost is <see cref="CostUsd"/> dollars per call:
/// with the cost weight equal to the quality weight, paying that much more must buy a full point of quality.
/// It is calibrated from training data (see <c>RewardScale.Calibrate</c> in Dial.Data) and stored with every
/// trained router, because a router's decisions for a given preference depend on it.
/// </summary>
public readonly record struct RewardScale
{
    public double CostUsd { get; }
    public double LatencyMs { get; }

    public RewardScale(double costUsd, double latencyMs)
    {
        if (!(costUsd > 0 && double.IsFinite(costUsd)))
            throw new ArgumentOutOfRangeException(nameof(costUsd), costUsd, "cost scale must be positive");
        if (!(latencyMs > 0 && double.IsFinite(latencyMs)))
            throw new ArgumentOutOfRangeException(nameof(latencyMs), latencyMs, "latency scale must be positive");
        CostUsd = costUsd;
        LatencyMs = latencyMs;
    }

    public double NormalizeCost(double costUsd) => costUsd / CostUsd;

    public double NormalizeLatency(double latencyMs) => latencyMs / LatencyMs;
}

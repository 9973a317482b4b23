namespace Dial.Data;

/// <summary>
/// Derives the <see cref="RewardScale"/> from training data, so the preference dial means the same on any
/// model pool without hand tuning: one unit of normalised cost is the mean per-prompt cost of the pool's most
/// expensive model. Cost weight equal to quality weight then says "the most expensive model is worth it only
/// if it buys a whole point of quality", and the interesting part of the dial is spread over [0, 1] whatever
/// the currency scale of the prices. Latency has no recorded data in the bundled tables; its unit defaults to
/// one second, or the slowest card's median latency when cards carry one.
/// </summary>
public static class RewardScaleCalibration
{
    public const double DefaultLatencyMs = 1000;

    public static RewardScale Calibrate(RoutingTable train)
    {
        var stats = TableStatistics.Of(train).Models.Where(m => m.Results > 0).ToArray();
        if (stats.Length == 0) throw new ArgumentException($"{train.Source}: cannot calibrate a reward scale from a table with no results");
        var costUnit = stats.Max(m => m.MeanCostUsd);
        if (!(costUnit > 0)) costUnit = 1; // every call free: any unit gives the same decisions
        var latencies = train.Models.Select(m => m.MedianLatencyMs).OfType<double>().Where(l => l > 0).ToArray();
        return new RewardScale(costUnit, latencies.Length > 0 ? latencies.Max() : DefaultLatencyMs);
    }
}

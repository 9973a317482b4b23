namespace Dial.Evaluation.Online;

/// <summary>How a replay runs.</summary>
/// <param name="Steps">Requests per run. More than the stream holds is served by further passes, each in a fresh random order.</param>
/// <param name="Seeds">Independent runs (order, preferences and learners' draws), for intervals.</param>
/// <param name="CostWeight">The fixed preference's cost weight (quality weight 1 - w).</param>
/// <param name="SamplePreference">Draw each request's cost weight uniformly from [0, <see cref="MaxSampledCostWeight"/>] instead.</param>
/// <param name="Drift">Halfway through, the best model (by train utility under the fixed preference) starts answering like the worst.</param>
public sealed record SimulationSettings(
    int Steps = 3000,
    int Seeds = 5,
    double CostWeight = 0.1,
    bool SamplePreference = false,
    bool Drift = false)
{
    /// <summary>Above about 0.5 the cheapest model wins almost every prompt under RewardScale's calibration, so sampling stops there.</summary>
    public const double MaxSampledCostWeight = 0.5;

    /// <summary>Requests before the drift over which the drifted model's share is measured, and the trailing window after it.</summary>
    public const int ShareWindow = 100;

    /// <summary>Steps at which average rewards are reported (those not beyond <see cref="Steps"/>, plus the last).</summary>
    public static IReadOnlyList<int> Checkpoints { get; } = [1000, 3000];

    public void Validate()
    {
        if (Steps < 1) throw new ArgumentException("--steps must be at least 1");
        if (Seeds < 1) throw new ArgumentException("--seeds must be at least 1");
        if (!(CostWeight >= 0 && CostWeight <= 1)) throw new ArgumentException("--cost-weight must be in [0, 1]");
        if (Drift && Steps < 4 * ShareWindow)
            throw new ArgumentException($"--drift needs at least {4 * ShareWindow} steps to measure adaptation");
    }
}

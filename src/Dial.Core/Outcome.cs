namespace Dial;

/// <summary>What happened when one model answered one prompt.</summary>
/// <param name="Score">Quality in [0, 1], higher is better.</param>
/// <param name="CostUsd">What the call cost.</param>
public readonly record struct Outcome(double Score, double CostUsd, int? OutputTokens = null, double? LatencyMs = null);

namespace Dial.Evaluation;

/// <summary>A two-sided confidence interval.</summary>
public readonly record struct Interval(double Low, double High);

/// <summary>
/// Where a router lands on the test set at one preference: mean score of the models it chose and mean cost
/// per prompt (USD), each with a bootstrap 95% interval over test prompts.
/// </summary>
public sealed record CurvePoint(double CostWeight, double Quality, double CostPerPrompt, Interval QualityCi, Interval CostCi)
{
    public double CostPer1k => CostPerPrompt * 1000;
}

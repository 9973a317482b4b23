namespace Dial.Evaluation;

/// <summary>One model always chosen, on the test set.</summary>
public sealed record SingleModelResult(string Model, double Quality, double CostPerPrompt)
{
    public double CostPer1k => CostPerPrompt * 1000;
}

namespace Dial.Learning.Online;

/// <summary>What a learner expects from one candidate for one request.</summary>
/// <param name="Utility">The preference's utility of the predicted quality and cost.</param>
/// <param name="Width">sqrt(x^T A^-1 x): how uncertain the predictions are, per unit of outcome noise.</param>
/// <param name="QualityWeight">The normalised preference's quality weight (how much quality uncertainty moves the utility).</param>
/// <param name="CostWeight">The normalised preference's cost weight.</param>
internal readonly record struct ArmPrediction(
    ModelCard Model, double Quality, double CostUsd, double Utility, double Width, double QualityWeight, double CostWeight);

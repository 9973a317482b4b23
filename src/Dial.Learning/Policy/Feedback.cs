namespace Dial.Learning.Policy;

/// <summary>What the policy learns from in each training episode.</summary>
public enum Feedback
{
    /// <summary>Only the sampled model's recorded outcome, as in deployment.</summary>
    Bandit,

    /// <summary>Every candidate's recorded outcome: the upper bound that shows what bandit feedback costs.</summary>
    Full,
}

namespace Dial.Learning.Identity;

/// <summary>How the identity model is fitted. Defaults were chosen on a validation slice of RouterBench's train split.</summary>
/// <param name="Dimension">Length of identity vectors θ and item discriminations a(x).</param>
/// <param name="Hidden">Width of the item network's hidden layer.</param>
/// <param name="Epochs">Passes over the training prompts.</param>
/// <param name="BatchSize">Prompts per gradient step (with all their observed models).</param>
/// <param name="LearningRate">Adam step size of the item network (and of the logistic baseline).</param>
/// <param name="IdentityLearningRate">Adam step size of the identities' μ and log σ: larger than the network's, because each identity
/// sees every prompt's gradient and must converge before the network starts to overfit.</param>
/// <param name="WeightDecay">AdamW decay on the item network only; identities are regularised by their prior.</param>
public sealed record IrtFitOptions(
    int Dimension = 8,
    int Hidden = 32,
    int Epochs = 30,
    int BatchSize = 32,
    float LearningRate = 1e-3f,
    float WeightDecay = 0.1f,
    int Seed = 1,
    float IdentityLearningRate = 1e-2f)
{
    public void Validate()
    {
        if (Dimension < 1) throw new ArgumentOutOfRangeException(nameof(Dimension), Dimension, "identity dimension must be at least 1");
        if (Hidden < 1) throw new ArgumentOutOfRangeException(nameof(Hidden), Hidden, "hidden width must be at least 1");
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "epochs must be at least 1");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "batch size must be at least 1");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "learning rate must be positive");
        if (!(IdentityLearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(IdentityLearningRate), IdentityLearningRate, "identity learning rate must be positive");
        if (!(WeightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "weight decay must be non-negative");
    }
}

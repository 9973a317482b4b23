namespace Dial.Learning.Identity;

/// <summary>
/// A model's identity vector: the Gaussian posterior q(θ) = N(Mean, diag(StdDev²)) of its item-response
/// ability, learned from which prompts it answers well. It is how routers describe a candidate, so a model
/// never seen in training is routable as soon as it has one. <see cref="Evidence"/> counts the prompts it was fitted on.
/// </summary>
public sealed record ModelIdentity(string Model, float[] Mean, float[] StdDev, int Evidence)
{
    public int Dimension => Mean.Length;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Model)) throw new ArgumentException("identity has an empty model name");
        if (Mean.Length == 0 || Mean.Length != StdDev.Length)
            throw new ArgumentException($"identity of '{Model}': mean has {Mean.Length} dimensions, std-dev {StdDev.Length}");
        if (Mean.Any(x => !float.IsFinite(x))) throw new ArgumentException($"identity of '{Model}': mean has a non-finite entry");
        if (StdDev.Any(s => !(s > 0 && float.IsFinite(s)))) throw new ArgumentException($"identity of '{Model}': std-dev entries must be positive");
        if (Evidence < 0) throw new ArgumentException($"identity of '{Model}': evidence must be non-negative");
    }
}

namespace Dial.Learning.Policy;

/// <summary>
/// A change to one policy's parameters that touches W_x only in the columns of a few prompt features: what one
/// observation's gradient step moves, since dL/dW_x = dL/d(W_x x) xᵀ is zero in the columns of the prompt's zero
/// features. Every other parameter (prompt bias, candidate weights, heads, log β) is small and changes densely.
/// An online learner fills it once and adds it to several copies of a policy (<see cref="DialEnsemble.ApplyStep"/>),
/// so the copies stay bit-for-bit equal.
/// </summary>
public sealed class PolicyStep
{
    public PolicyStep(PolicyNetwork network)
    {
        Hidden = network.Hidden;
        Features = new int[network.Features];
        PromptColumns = new float[network.Features * network.Hidden];
        Dense = network.DenseStepParameters.Select(p => new float[p.Value.Length]).ToArray();
    }

    public int Hidden { get; }

    /// <summary>How many W_x columns change: the first <see cref="Count"/> entries of <see cref="Features"/>.</summary>
    public int Count { get; set; }

    /// <summary>The changed columns' feature indices, ascending.</summary>
    public int[] Features { get; }

    /// <summary>The change of W_x's column <c>Features[n]</c> is <c>Column(n)</c>, one value per hidden unit.</summary>
    public float[] PromptColumns { get; }

    /// <summary>The change of every parameter of <see cref="PolicyNetwork.DenseStepParameters"/>, in its order.</summary>
    public float[][] Dense { get; }

    public Span<float> Column(int n) => PromptColumns.AsSpan(n * Hidden, Hidden);
}

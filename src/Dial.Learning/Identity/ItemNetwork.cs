using System.Numerics.Tensors;
using Dial.Learning.Neural;

namespace Dial.Learning.Identity;

/// <summary>
/// The prompt side of the item-response model: a two-layer network from prompt features to the item's
/// discrimination a(x) (one weight per identity dimension) and difficulty b(x). Because items come from
/// features rather than a per-prompt table, a prompt never seen in training gets item parameters too.
/// </summary>
public sealed class ItemNetwork
{
    private readonly Dense _hidden;
    private readonly Dense _output;

    public ItemNetwork(int inputs, int hidden, int dimension, Random random)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "identity dimension must be at least 1");
        if (hidden < 1) throw new ArgumentOutOfRangeException(nameof(hidden), hidden, "hidden width must be at least 1");
        _hidden = new Dense("item.hidden", inputs, hidden, random);
        _output = new Dense("item.output", hidden, dimension + 1, random);
    }

    public int Inputs => _hidden.Inputs;

    public int Hidden => _hidden.Outputs;

    /// <summary>Length of a(x), which is also the length of every identity vector it pairs with.</summary>
    public int Dimension => _output.Outputs - 1;

    public IReadOnlyCollection<Parameter> Parameters => [.. _hidden.Parameters, .. _output.Parameters];

    /// <summary>Computes the item; <paramref name="hidden"/> (length <see cref="Hidden"/>) keeps the activations for <see cref="Backward"/>.</summary>
    public Item Forward(ReadOnlySpan<float> features, Span<float> hidden)
    {
        _hidden.Forward(features, hidden);
        Activation.Relu(hidden);
        var y = new float[Dimension + 1];
        _output.Forward(hidden, y);
        return new Item(y[..Dimension], y[Dimension]);
    }

    /// <summary>
    /// Rewrites the output layer so that a'(x) = s ⊙ a(x) and b'(x) = b(x) − m·a(x). Paired with identities
    /// moved to θ' = (θ − m) / s, every logit θ'·a' − b' equals θ·a − b, so predictions do not change.
    /// </summary>
    internal void ShiftAndScaleIdentitySpace(ReadOnlySpan<float> shift, ReadOnlySpan<float> scale)
    {
        var d = Dimension;
        var weight = _output.Weight;
        var bias = _output.Bias.Value;
        var difficultyRow = weight.Row(d);
        for (var j = 0; j < d; j++)
        {
            TensorPrimitives.MultiplyAdd(weight.Row(j), -shift[j], difficultyRow, difficultyRow);
            bias[d] -= shift[j] * bias[j];
        }
        for (var j = 0; j < d; j++)
        {
            TensorPrimitives.Multiply(weight.Row(j), scale[j], weight.Row(j));
            bias[j] *= scale[j];
        }
    }

    /// <summary>Adds the parameter gradients for dL/da and dL/db at this prompt.</summary>
    public void Backward(ReadOnlySpan<float> features, ReadOnlySpan<float> hidden, ReadOnlySpan<float> gradA, float gradB)
    {
        var dy = new float[Dimension + 1];
        gradA.CopyTo(dy);
        dy[Dimension] = gradB;
        var dh = new float[Hidden];
        _output.Backward(hidden, dy, dh);
        Activation.ReluBackward(hidden, dh);
        _hidden.Backward(features, dh, Span<float>.Empty);
    }
}

/// <summary>One prompt as an item: P(model with identity θ answers well) = sigmoid(θ·A − B).</summary>
public sealed record Item(float[] A, float B)
{
    public double Logit(ReadOnlySpan<float> theta)
    {
        double z = -B;
        for (var j = 0; j < A.Length; j++) z += (double)theta[j] * A[j];
        return z;
    }

    /// <summary>
    /// The probability of a good answer averaged over the identity's posterior. The logit is Gaussian under
    /// q(θ); the probit approximation E[σ(z)] ≈ σ(m / √(1 + πs²/8)) makes the average closed-form, so an
    /// uncertain identity gives tempered predictions instead of confident ones.
    /// </summary>
    public double Probability(ModelIdentity identity)
    {
        var (mean, variance) = LogitMoments(identity.Mean, identity.StdDev);
        return Activation.Sigmoid(mean * ProbitScale(variance));
    }

    public (double Mean, double Variance) LogitMoments(ReadOnlySpan<float> mean, ReadOnlySpan<float> stdDev)
    {
        if (mean.Length != A.Length) throw new ArgumentException($"identity has {mean.Length} dimensions, the item model {A.Length}");
        double v = 0;
        for (var j = 0; j < A.Length; j++) v += (double)stdDev[j] * stdDev[j] * A[j] * A[j];
        return (Logit(mean), v);
    }

    public static double ProbitScale(double logitVariance) => 1 / Math.Sqrt(1 + Math.PI * logitVariance / 8);
}

using System.Numerics.Tensors;

namespace Dial.Learning.Neural;

/// <summary>Element-wise non-linearities with their backward passes written against the forward output.</summary>
public static class Activation
{
    /// <summary>Branch-free: a comparison per unit would mispredict on about half of them, in every candidate of a decision.</summary>
    public static void Relu(Span<float> x) => TensorPrimitives.Max(x, 0f, x);

    /// <summary>Turns dL/dy into dL/dx in place, given the ReLU's output y.</summary>
    public static void ReluBackward(ReadOnlySpan<float> y, Span<float> grad)
    {
        for (var i = 0; i < y.Length; i++) if (y[i] <= 0) grad[i] = 0;
    }

    public static void Tanh(Span<float> x) => TensorPrimitives.Tanh(x, x);

    /// <summary>Turns dL/dy into dL/dx in place, given the tanh's output y: tanh' = 1 - y².</summary>
    public static void TanhBackward(ReadOnlySpan<float> y, Span<float> grad)
    {
        for (var i = 0; i < y.Length; i++) grad[i] *= 1 - y[i] * y[i];
    }

    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>Softmax with the maximum subtracted first, so large logits do not overflow.</summary>
    public static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        var max = float.NegativeInfinity;
        foreach (var l in logits) max = MathF.Max(max, l);
        var sum = 0f;
        for (var i = 0; i < logits.Length; i++)
        {
            probabilities[i] = MathF.Exp(logits[i] - max);
            sum += probabilities[i];
        }
        for (var i = 0; i < logits.Length; i++) probabilities[i] /= sum;
    }
}

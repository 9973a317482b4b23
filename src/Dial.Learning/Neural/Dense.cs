using System.Numerics.Tensors;

namespace Dial.Learning.Neural;

/// <summary>
/// A fully connected layer y = W x + b with a hand-derived backward pass. Gradients accumulate across calls
/// until the optimiser steps, so a batch is simply several backward calls.
/// </summary>
public sealed class Dense
{
    /// <summary>A layer with Glorot-uniform weights and zero biases.</summary>
    public Dense(string name, int inputs, int outputs, Random random)
        : this(new Parameter(name + ".weight", outputs, inputs).InitGlorot(random), new Parameter(name + ".bias", outputs, 1))
    {
    }

    /// <summary>A layer over weights initialised by the caller (outputs x inputs) and a bias (outputs x 1).</summary>
    public Dense(Parameter weight, Parameter bias)
    {
        if (bias.Rows != weight.Rows || bias.Cols != 1)
            throw new ArgumentException($"bias '{bias.Name}' is {bias.Rows}x{bias.Cols}, expected {weight.Rows}x1 for weight '{weight.Name}'");
        Weight = weight;
        Bias = bias;
    }

    public Parameter Weight { get; }

    public Parameter Bias { get; }

    public int Inputs => Weight.Cols;

    public int Outputs => Weight.Rows;

    public IEnumerable<Parameter> Parameters => [Weight, Bias];

    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        Check(x.Length, Inputs, "input");
        Check(y.Length, Outputs, "output");
        for (var i = 0; i < Outputs; i++) y[i] = TensorPrimitives.Dot(Weight.Row(i), x) + Bias.Value[i];
    }

    /// <summary>
    /// Given dL/dy, adds dL/dW = dy xᵀ and dL/db = dy to the gradients, and writes dL/dx = Wᵀ dy into
    /// <paramref name="dx"/> unless it is empty (the first layer's input needs no gradient).
    /// </summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        Check(x.Length, Inputs, "input");
        Check(dy.Length, Outputs, "output gradient");
        if (!dx.IsEmpty)
        {
            Check(dx.Length, Inputs, "input gradient");
            dx.Clear();
        }
        for (var i = 0; i < Outputs; i++)
        {
            var g = dy[i];
            if (g == 0) continue;
            Bias.Gradient[i] += g;
            var gradRow = Weight.GradientRow(i);
            TensorPrimitives.MultiplyAdd(x, g, gradRow, gradRow);
            if (!dx.IsEmpty) TensorPrimitives.MultiplyAdd(Weight.Row(i), g, dx, dx);
        }
    }

    private static void Check(int actual, int expected, string what)
    {
        if (actual != expected) throw new ArgumentException($"dense layer {what} has length {actual}, expected {expected}");
    }
}

using System.Numerics.Tensors;

namespace Dial.Learning.Baselines;

/// <summary>
/// One tanh hidden layer shared by all models, one logit per model: logits = W2·tanh(W1·x + b1) + b2.
/// Gradients are derived by hand (checked against finite differences in the tests).
/// </summary>
internal sealed class MlpScoreNetwork : IScoreNetwork
{
    private readonly int _inputs;
    private readonly int _hidden;
    [ThreadStatic] private static float[]? _activation;

    public MlpScoreNetwork(int inputs, int hidden, int models, Random random)
    {
        _inputs = inputs;
        _hidden = hidden;
        ModelCount = models;
        Parameters = new float[hidden * inputs + hidden + models * hidden + models];
        // Glorot-uniform weights keep tanh out of saturation at the start; biases start at zero.
        ScoreNetworkFit.FillUniform(W1, Math.Sqrt(6.0 / (inputs + hidden)), random);
        ScoreNetworkFit.FillUniform(W2, Math.Sqrt(6.0 / (hidden + models)), random);
        PenalisedRanges = [new Range(0, hidden * inputs), new Range(B1Start + hidden, B1Start + hidden + models * hidden)];
    }

    public int ModelCount { get; }

    public float[] Parameters { get; }

    public IReadOnlyList<Range> PenalisedRanges { get; }

    private int B1Start => _hidden * _inputs;

    private int W2Start => B1Start + _hidden;

    private int B2Start => W2Start + ModelCount * _hidden;

    private Span<float> W1 => Parameters.AsSpan(0, B1Start);

    private Span<float> W2 => Parameters.AsSpan(W2Start, ModelCount * _hidden);

    public void Logits(float[] x, Span<float> logits)
    {
        var h = Hidden(x);
        for (var m = 0; m < ModelCount; m++)
            logits[m] = TensorPrimitives.Dot(Parameters.AsSpan(W2Start + m * _hidden, _hidden), h) + Parameters[B2Start + m];
    }

    public void Backward(float[] x, ReadOnlySpan<float> logitGradient, Span<float> gradient)
    {
        var h = Hidden(x);
        var dHidden = new float[_hidden];
        for (var m = 0; m < ModelCount; m++)
        {
            var g = logitGradient[m];
            if (g == 0) continue;
            TensorPrimitives.MultiplyAdd(h, g, gradient.Slice(W2Start + m * _hidden, _hidden), gradient.Slice(W2Start + m * _hidden, _hidden));
            gradient[B2Start + m] += g;
            TensorPrimitives.MultiplyAdd(Parameters.AsSpan(W2Start + m * _hidden, _hidden), g, dHidden, dHidden);
        }
        for (var i = 0; i < _hidden; i++)
        {
            var da = dHidden[i] * (1 - h[i] * h[i]); // tanh' = 1 - tanh²
            if (da == 0) continue;
            TensorPrimitives.MultiplyAdd(x, da, gradient.Slice(i * _inputs, _inputs), gradient.Slice(i * _inputs, _inputs));
            gradient[B1Start + i] += da;
        }
    }

    /// <summary>tanh(W1·x + b1), in a per-thread buffer valid until the next call.</summary>
    private float[] Hidden(float[] x)
    {
        var h = _activation is { } a && a.Length == _hidden ? a : _activation = new float[_hidden];
        for (var i = 0; i < _hidden; i++) h[i] = TensorPrimitives.Dot(Parameters.AsSpan(i * _inputs, _inputs), x) + Parameters[B1Start + i];
        TensorPrimitives.Tanh(h, h);
        return h;
    }
}

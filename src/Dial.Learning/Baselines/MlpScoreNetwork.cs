using Dial.Learning.Neural;

namespace Dial.Learning.Baselines;

/// <summary>
/// One tanh hidden layer shared by all models, one logit per model: logits = W2·tanh(W1·x + b1) + b2.
/// </summary>
internal sealed class MlpScoreNetwork : IScoreNetwork
{
    private readonly Dense _hidden;
    private readonly Dense _output;
    [ThreadStatic] private static float[]? _activation;

    public MlpScoreNetwork(int inputs, int hidden, int models, Random random)
    {
        // Glorot-uniform weights (Dense's start) keep tanh out of saturation; biases start at zero.
        _hidden = new Dense("mlp.hidden", inputs, hidden, random);
        _output = new Dense("mlp.output", hidden, models, random);
        Parameters = [.. _hidden.Parameters, .. _output.Parameters];
        PenalisedParameters = [_hidden.Weight, _output.Weight];
    }

    public int ModelCount => _output.Outputs;

    public IReadOnlyList<Parameter> Parameters { get; }

    public IReadOnlyList<Parameter> PenalisedParameters { get; }

    public void Logits(float[] x, Span<float> logits) => _output.Forward(Hidden(x), logits);

    public void Backward(float[] x, ReadOnlySpan<float> logitGradient)
    {
        var h = Hidden(x);
        var dHidden = new float[h.Length];
        _output.Backward(h, logitGradient, dHidden);
        Activation.TanhBackward(h, dHidden);
        _hidden.Backward(x, dHidden, []);
    }

    /// <summary>tanh(W1·x + b1), in a per-thread buffer valid until the next call.</summary>
    private float[] Hidden(float[] x)
    {
        var h = _activation is { } a && a.Length == _hidden.Outputs ? a : _activation = new float[_hidden.Outputs];
        _hidden.Forward(x, h);
        Activation.Tanh(h);
        return h;
    }
}

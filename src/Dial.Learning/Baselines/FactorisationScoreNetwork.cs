using System.Numerics.Tensors;

namespace Dial.Learning.Baselines;

/// <summary>
/// Matrix factorisation in the manner of RouteLLM's MF router: prompt features are projected to a small
/// embedding, each model has an embedding of the same size, and a model's logit on a prompt is their dot product
/// plus the model's bias: logit_m = v_m · (P·x) + b_m. RouteLLM trains it on pairwise wins between two models;
/// routing tables record each model's own score, so here it is fitted to the scores directly.
/// </summary>
internal sealed class FactorisationScoreNetwork : IScoreNetwork
{
    private readonly int _inputs;
    private readonly int _dimension;
    [ThreadStatic] private static float[]? _projection;

    public FactorisationScoreNetwork(int inputs, int dimension, int models, Random random)
    {
        _inputs = inputs;
        _dimension = dimension;
        ModelCount = models;
        Parameters = new float[dimension * inputs + models * dimension + models];
        ScoreNetworkFit.FillUniform(Parameters.AsSpan(0, VStart), 1 / Math.Sqrt(inputs), random);
        ScoreNetworkFit.FillUniform(Parameters.AsSpan(VStart, models * dimension), 1 / Math.Sqrt(dimension), random);
        PenalisedRanges = [new Range(0, BStart)];
    }

    public int ModelCount { get; }

    public float[] Parameters { get; }

    public IReadOnlyList<Range> PenalisedRanges { get; }

    private int VStart => _dimension * _inputs;

    private int BStart => VStart + ModelCount * _dimension;

    public void Logits(float[] x, Span<float> logits)
    {
        var z = Project(x);
        for (var m = 0; m < ModelCount; m++)
            logits[m] = TensorPrimitives.Dot(Parameters.AsSpan(VStart + m * _dimension, _dimension), z) + Parameters[BStart + m];
    }

    public void Backward(float[] x, ReadOnlySpan<float> logitGradient, Span<float> gradient)
    {
        var z = Project(x);
        var dz = new float[_dimension];
        for (var m = 0; m < ModelCount; m++)
        {
            var g = logitGradient[m];
            if (g == 0) continue;
            var v = Parameters.AsSpan(VStart + m * _dimension, _dimension);
            var dv = gradient.Slice(VStart + m * _dimension, _dimension);
            TensorPrimitives.MultiplyAdd(z, g, dv, dv);
            TensorPrimitives.MultiplyAdd(v, g, dz, dz);
            gradient[BStart + m] += g;
        }
        for (var i = 0; i < _dimension; i++)
            if (dz[i] != 0) TensorPrimitives.MultiplyAdd(x, dz[i], gradient.Slice(i * _inputs, _inputs), gradient.Slice(i * _inputs, _inputs));
    }

    /// <summary>P·x, in a per-thread buffer valid until the next call.</summary>
    private float[] Project(float[] x)
    {
        var z = _projection is { } a && a.Length == _dimension ? a : _projection = new float[_dimension];
        for (var i = 0; i < _dimension; i++) z[i] = TensorPrimitives.Dot(Parameters.AsSpan(i * _inputs, _inputs), x);
        return z;
    }
}

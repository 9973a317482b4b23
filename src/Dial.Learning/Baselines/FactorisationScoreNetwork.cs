using System.Numerics.Tensors;
using Dial.Learning.Neural;

namespace Dial.Learning.Baselines;

/// <summary>
/// Matrix factorisation in the manner of RouteLLM's MF router: prompt features are projected to a small
/// embedding, each model has an embedding of the same size, and a model's logit on a prompt is their dot product
/// plus the model's bias: logit_m = v_m · (P·x) + b_m. RouteLLM trains it on pairwise wins between two models;
/// routing tables record each model's own score, so here it is fitted to the scores directly.
/// </summary>
internal sealed class FactorisationScoreNetwork : IScoreNetwork
{
    /// <summary>P: a linear map without bias, since b_m already gives each model its offset.</summary>
    private readonly Parameter _projection;
    /// <summary>The model embeddings v_m as weight rows, the b_m as bias.</summary>
    private readonly Dense _models;
    [ThreadStatic] private static float[]? _embedding;

    public FactorisationScoreNetwork(int inputs, int dimension, int models, Random random)
    {
        _projection = new Parameter("mf.projection", dimension, inputs).InitUniform(random, 1 / MathF.Sqrt(inputs));
        _models = new Dense(
            new Parameter("mf.models.weight", models, dimension).InitUniform(random, 1 / MathF.Sqrt(dimension)),
            new Parameter("mf.models.bias", models, 1));
        Parameters = [_projection, .. _models.Parameters];
        PenalisedParameters = [_projection, _models.Weight];
    }

    public int ModelCount => _models.Outputs;

    public IReadOnlyList<Parameter> Parameters { get; }

    public IReadOnlyList<Parameter> PenalisedParameters { get; }

    public void Logits(float[] x, Span<float> logits) => _models.Forward(Project(x), logits);

    public void Backward(float[] x, ReadOnlySpan<float> logitGradient)
    {
        var z = Project(x);
        var dz = new float[z.Length];
        _models.Backward(z, logitGradient, dz);
        for (var i = 0; i < dz.Length; i++)
            if (dz[i] != 0) TensorPrimitives.MultiplyAdd(x, dz[i], _projection.GradientRow(i), _projection.GradientRow(i));
    }

    /// <summary>P·x, in a per-thread buffer valid until the next call.</summary>
    private float[] Project(float[] x)
    {
        var z = _embedding is { } a && a.Length == _projection.Rows ? a : _embedding = new float[_projection.Rows];
        for (var i = 0; i < z.Length; i++) z[i] = TensorPrimitives.Dot(_projection.Row(i), x);
        return z;
    }
}

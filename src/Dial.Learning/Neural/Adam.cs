namespace Dial.Learning.Neural;

/// <summary>
/// Adam with decoupled weight decay (AdamW). Reads each parameter's accumulated gradient, steps, and clears it.
/// </summary>
public sealed class Adam
{
    private readonly Parameter[] _parameters;
    private readonly float[][] _m;
    private readonly float[][] _v;
    private int _step;

    public Adam(IEnumerable<Parameter> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f)
    {
        _parameters = parameters.ToArray();
        _m = _parameters.Select(p => new float[p.Value.Length]).ToArray();
        _v = _parameters.Select(p => new float[p.Value.Length]).ToArray();
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
    }

    public float LearningRate { get; set; }

    public float Beta1 { get; }

    public float Beta2 { get; }

    public float Epsilon { get; }

    public float WeightDecay { get; }

    /// <param name="gradientScale">Multiplies every gradient first, e.g. 1 / batch size.</param>
    public void Step(float gradientScale = 1f)
    {
        _step++;
        var c1 = 1 - MathF.Pow(Beta1, _step);
        var c2 = 1 - MathF.Pow(Beta2, _step);
        for (var p = 0; p < _parameters.Length; p++)
        {
            var value = _parameters[p].Value;
            var grad = _parameters[p].Gradient;
            var m = _m[p];
            var v = _v[p];
            for (var i = 0; i < value.Length; i++)
            {
                var g = grad[i] * gradientScale;
                m[i] = Beta1 * m[i] + (1 - Beta1) * g;
                v[i] = Beta2 * v[i] + (1 - Beta2) * g * g;
                value[i] -= LearningRate * ((m[i] / c1) / (MathF.Sqrt(v[i] / c2) + Epsilon) + WeightDecay * value[i]);
            }
            Array.Clear(grad);
        }
    }
}

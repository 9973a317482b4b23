using Dial.Learning.Policy;

namespace Dial.Learning.Online;

/// <summary>
/// Adam (no weight decay) for one policy network trained one observation at a time, turning the gradients the
/// network accumulated into a <see cref="PolicyStep"/> instead of changing the network itself. In W_x it is lazy:
/// only the columns of the prompt's non-zero features, the only ones with a gradient, have their moments updated
/// and move, as in PyTorch's SparseAdam; dense Adam would also move every other column by its decaying momentum,
/// which costs the whole matrix per observation. Every other parameter follows dense Adam exactly. The first
/// step equals dense Adam's, since zero moments and a zero gradient move nothing.
/// </summary>
public sealed class SparseAdam
{
    private const float Beta1 = 0.9f;
    private const float Beta2 = 0.999f;
    private const float Epsilon = 1e-8f;

    private readonly int _features;
    private readonly int _hidden;
    // W_x's moments column-major (feature j's hidden units contiguous), so a step reads whole columns.
    private readonly float[] _promptM;
    private readonly float[] _promptV;
    private readonly float[][] _m;
    private readonly float[][] _v;
    private int _step;

    public SparseAdam(PolicyNetwork network, float learningRate)
    {
        _features = network.Features;
        _hidden = network.Hidden;
        _promptM = new float[_features * _hidden];
        _promptV = new float[_features * _hidden];
        var dense = network.Parameters.Skip(1).ToArray();
        _m = dense.Select(p => new float[p.Value.Length]).ToArray();
        _v = dense.Select(p => new float[p.Value.Length]).ToArray();
        LearningRate = learningRate;
        Change = new PolicyStep(network);
    }

    public float LearningRate { get; }

    /// <summary>The last step's change of the parameters (to be added to them).</summary>
    public PolicyStep Change { get; }

    /// <summary>
    /// Computes the step from the gradients <paramref name="network"/> holds for one prompt with
    /// <paramref name="features"/>, and clears those gradients.
    /// </summary>
    public void Step(PolicyNetwork network, ReadOnlySpan<float> features)
    {
        if (network.Features != _features || network.Hidden != _hidden) throw new ArgumentException("the network does not have the shape this optimiser was made for", nameof(network));
        _step++;
        var c1 = 1 - MathF.Pow(Beta1, _step);
        var c2 = 1 - MathF.Pow(Beta2, _step);
        var gradient = network.Prompt.Weight.Gradient;
        var count = 0;
        for (var j = 0; j < features.Length; j++)
        {
            if (features[j] == 0) continue;
            Change.Features[count] = j;
            var delta = Change.Column(count);
            for (var i = 0; i < _hidden; i++)
            {
                ref var g = ref gradient[i * _features + j];
                delta[i] = Move(g, ref _promptM[j * _hidden + i], ref _promptV[j * _hidden + i], c1, c2);
                g = 0;
            }
            count++;
        }
        Change.Count = count;
        var parameters = network.Parameters;
        for (var p = 1; p < parameters.Count; p++)
        {
            var g = parameters[p].Gradient;
            var delta = Change.Dense[p - 1];
            var (m, v) = (_m[p - 1], _v[p - 1]);
            for (var i = 0; i < g.Length; i++) delta[i] = Move(g[i], ref m[i], ref v[i], c1, c2);
            Array.Clear(g);
        }
    }

    // The same arithmetic as Neural.Adam, so a first step matches it bit for bit.
    private float Move(float g, ref float m, ref float v, float c1, float c2)
    {
        m = Beta1 * m + (1 - Beta1) * g;
        v = Beta2 * v + (1 - Beta2) * g * g;
        return -(LearningRate * ((m / c1) / (MathF.Sqrt(v / c2) + Epsilon)));
    }
}

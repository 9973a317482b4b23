using System.Numerics;
using Dial.Learning.Policy;

namespace Dial.Learning.Online;

/// <summary>
/// Adam (no weight decay) for one policy network trained one observation at a time, turning the gradients the
/// network accumulated into a <see cref="PolicyStep"/> instead of changing the network itself. In W_x it is lazy:
/// only the columns of the prompt's non-zero features, the only ones with a gradient, have their moments updated
/// and move, as in PyTorch's SparseAdam; dense Adam would also move every other column by its decaying momentum,
/// which costs the whole matrix per observation. The cost term's prompt weights U do not move (see
/// <see cref="PolicyNetwork.DenseStepParameters"/>); every other parameter follows dense Adam exactly. The first
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

    /// <param name="promptWeights">Whether W_x moves at all; when not, its moments are not even allocated.</param>
    public SparseAdam(PolicyNetwork network, float learningRate, bool promptWeights = true)
    {
        _features = network.Features;
        _hidden = network.Hidden;
        PromptWeights = promptWeights;
        _promptM = promptWeights ? new float[_features * _hidden] : [];
        _promptV = promptWeights ? new float[_features * _hidden] : [];
        var dense = network.DenseStepParameters;
        _m = dense.Select(p => new float[p.Value.Length]).ToArray();
        _v = dense.Select(p => new float[p.Value.Length]).ToArray();
        LearningRate = learningRate;
        Change = new PolicyStep(network);
    }

    public float LearningRate { get; }

    public bool PromptWeights { get; }

    /// <summary>The last step's change of the parameters (to be added to them).</summary>
    public PolicyStep Change { get; }

    /// <summary>
    /// Computes the step for one prompt with <paramref name="features"/>, from dL/d(W_x x) for W_x (its gradient
    /// in column j is that vector times x_j, so it is formed here, column by column, rather than scattered into and
    /// read back from the row-major gradient matrix) and from the gradients <paramref name="network"/> holds for
    /// every other parameter, which it clears.
    /// </summary>
    public void Step(PolicyNetwork network, ReadOnlySpan<float> projectionGradient, ReadOnlySpan<float> features)
    {
        if (network.Features != _features || network.Hidden != _hidden || features.Length != _features || projectionGradient.Length != _hidden)
            throw new ArgumentException("the network, features or gradient do not have the shape this optimiser was made for", nameof(network));
        _step++;
        var c1 = 1 - MathF.Pow(Beta1, _step);
        var c2 = 1 - MathF.Pow(Beta2, _step);
        var count = 0;
        for (var j = 0; j < features.Length && PromptWeights; j++)
        {
            if (features[j] == 0) continue;
            Change.Features[count] = j;
            MoveColumn(projectionGradient, features[j], _promptM.AsSpan(j * _hidden, _hidden), _promptV.AsSpan(j * _hidden, _hidden), Change.Column(count), c1, c2);
            count++;
        }
        Change.Count = count;
        var parameters = network.DenseStepParameters;
        for (var p = 0; p < parameters.Count; p++)
        {
            var g = parameters[p].Gradient;
            var delta = Change.Dense[p];
            var (m, v) = (_m[p], _v[p]);
            for (var i = 0; i < g.Length; i++) delta[i] = Move(g[i], ref m[i], ref v[i], c1, c2);
            Array.Clear(g);
        }
    }

    /// <summary>One W_x column's step, gradient <paramref name="projectionGradient"/> × <paramref name="x"/>, a vector at a time (the same per-element arithmetic as <see cref="Move"/>).</summary>
    private void MoveColumn(ReadOnlySpan<float> projectionGradient, float x, Span<float> m, Span<float> v, Span<float> delta, float c1, float c2)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var (vx, b1, a1, b2, a2, vc1, vc2, eps, lr) = (new Vector<float>(x), new Vector<float>(Beta1), new Vector<float>(1 - Beta1),
                new Vector<float>(Beta2), new Vector<float>(1 - Beta2), new Vector<float>(c1), new Vector<float>(c2), new Vector<float>(Epsilon), new Vector<float>(LearningRate));
            for (; i <= m.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var g = new Vector<float>(projectionGradient[i..]) * vx;
                var mi = b1 * new Vector<float>(m[i..]) + a1 * g;
                var vi = b2 * new Vector<float>(v[i..]) + a2 * g * g;
                mi.CopyTo(m[i..]);
                vi.CopyTo(v[i..]);
                (-(lr * ((mi / vc1) / (Vector.SquareRoot(vi / vc2) + eps)))).CopyTo(delta[i..]);
            }
        }
        for (; i < m.Length; i++) delta[i] = Move(projectionGradient[i] * x, ref m[i], ref v[i], c1, c2);
    }

    // The same arithmetic as Neural.Adam, so a first step matches it bit for bit.
    private float Move(float g, ref float m, ref float v, float c1, float c2)
    {
        m = Beta1 * m + (1 - Beta1) * g;
        v = Beta2 * v + (1 - Beta2) * g * g;
        return -(LearningRate * ((m / c1) / (MathF.Sqrt(v / c2) + Epsilon)));
    }
}

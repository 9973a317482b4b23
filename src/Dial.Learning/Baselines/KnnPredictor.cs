using System.Numerics.Tensors;

namespace Dial.Learning.Baselines;

/// <summary>
/// RouterBench's kNN router: a prompt's predicted score and cost for a model are the means over its
/// <c>k</c> most similar training prompts (cosine similarity of encoder features) that the model answered.
/// A model none of the neighbours answered falls back to its mean over all training prompts.
/// </summary>
public sealed class KnnPredictor : IOutcomePredictor
{
    private readonly TrainingSet _train;
    private readonly IPromptEncoder _encoder;
    private readonly float[] _inverseRowNorms;
    // Column-major features: feature j of every training prompt is one contiguous run, so a prompt's dot
    // products with all training prompts cost one vectorised pass per non-zero feature of the prompt.
    private readonly float[] _columns;
    private readonly int _k;
    private const int MaxStackNeighbours = 256;

    public KnnPredictor(TrainingSet train, IPromptEncoder encoder, int k)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1");
        _train = train;
        _encoder = encoder;
        _k = Math.Min(k, train.PromptCount);
        var n = train.PromptCount;
        _inverseRowNorms = train.Features.Select(f => TensorPrimitives.Norm(f) is var norm and > 0 ? 1 / norm : 0).ToArray();
        _columns = new float[encoder.Dimension * n];
        for (var i = 0; i < n; i++)
        {
            var row = train.Features[i];
            for (var j = 0; j < row.Length; j++) _columns[j * n + i] = row[j];
        }
    }

    public IReadOnlyList<string> Models => _train.Models;

    public void Predict(Prompt prompt, Span<double> score, Span<double> cost)
    {
        var x = prompt.Features(_encoder);
        var n = _train.PromptCount;
        // The prompt's own norm scales every similarity alike, so the ranking needs only the rows' norms.
        var similarity = new float[n];
        for (var j = 0; j < x.Length; j++)
            if (x[j] != 0) TensorPrimitives.MultiplyAdd(_columns.AsSpan(j * n, n), x[j], similarity, similarity);
        TensorPrimitives.Multiply(similarity, _inverseRowNorms, similarity);
        Span<int> nearest = _k <= MaxStackNeighbours ? stackalloc int[_k] : new int[_k];
        Nearest(similarity, nearest);
        nearest.Sort(); // the neighbour set is what matters; a fixed order keeps the sums reproducible

        for (var m = 0; m < _train.ModelCount; m++)
        {
            double s = 0, c = 0;
            var count = 0;
            foreach (var p in nearest)
            {
                if (!_train.Has(p, m)) continue;
                s += _train.Score(p, m);
                c += _train.Cost(p, m);
                count++;
            }
            score[m] = count > 0 ? s / count : _train.MeanScore[m];
            cost[m] = count > 0 ? c / count : _train.MeanCost[m];
        }
    }

    /// <summary>
    /// The indices of the <c>nearest.Length</c> highest similarities, ties to the lower index: one pass keeping
    /// the best so far in order, instead of sorting all training prompts.
    /// </summary>
    private static void Nearest(ReadOnlySpan<float> similarity, Span<int> nearest)
    {
        var k = nearest.Length;
        Span<float> best = k <= MaxStackNeighbours ? stackalloc float[k] : new float[k];
        var filled = 0;
        for (var i = 0; i < similarity.Length; i++)
        {
            var value = similarity[i];
            if (filled == k && !(value > best[k - 1])) continue;
            var at = filled < k ? filled++ : k - 1;
            while (at > 0 && value > best[at - 1])
            {
                best[at] = best[at - 1];
                nearest[at] = nearest[at - 1];
                at--;
            }
            best[at] = value;
            nearest[at] = i;
        }
    }
}

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
    private readonly float[] _rowNorms;
    private readonly float[][] _columns; // feature j of every training prompt, so a prompt's similarities cost one pass per non-zero feature
    private readonly int _k;

    public KnnPredictor(TrainingSet train, IPromptEncoder encoder, int k)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1");
        _train = train;
        _encoder = encoder;
        _k = Math.Min(k, train.PromptCount);
        _rowNorms = train.Features.Select(f => TensorPrimitives.Norm(f)).ToArray();
        _columns = new float[encoder.Dimension][];
        for (var j = 0; j < _columns.Length; j++) _columns[j] = train.Features.Select(f => f[j]).ToArray();
    }

    public IReadOnlyList<string> Models => _train.Models;

    public void Predict(Prompt prompt, Span<double> score, Span<double> cost)
    {
        var x = prompt.Features(_encoder);
        var norm = TensorPrimitives.Norm(x);
        var n = _train.PromptCount;
        // Negated similarities, so an ascending sort puts the nearest first.
        var keys = new float[n];
        for (var j = 0; j < x.Length; j++)
            if (x[j] != 0) TensorPrimitives.MultiplyAdd(_columns[j], -x[j], keys, keys);
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            var denominator = norm * _rowNorms[i];
            keys[i] = denominator > 0 ? keys[i] / denominator : 0;
            order[i] = i;
        }
        Array.Sort(keys, order);
        Array.Sort(order, 0, _k); // the neighbour set is what matters; a fixed order keeps the sums reproducible

        for (var m = 0; m < _train.ModelCount; m++)
        {
            double s = 0, c = 0;
            var count = 0;
            for (var j = 0; j < _k; j++)
            {
                var p = order[j];
                if (!_train.Has(p, m)) continue;
                s += _train.Score(p, m);
                c += _train.Cost(p, m);
                count++;
            }
            score[m] = count > 0 ? s / count : _train.MeanScore[m];
            cost[m] = count > 0 ? c / count : _train.MeanCost[m];
        }
    }
}

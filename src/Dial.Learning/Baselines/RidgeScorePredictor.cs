using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Dial.Learning.Baselines;

/// <summary>
/// One ridge regression per model from prompt features (plus an unpenalised intercept) to score, predictions
/// clipped to [0, 1]; the predicted cost is the model's mean training cost. Each model is fitted on the training
/// prompts it answered; models that answered the same prompts share one factorised Gram matrix.
/// </summary>
public sealed class RidgeScorePredictor : IOutcomePredictor
{
    private readonly IPromptEncoder _encoder;
    private readonly double[][] _weights; // per model: feature weights then the intercept
    private readonly double[] _meanCost;

    private RidgeScorePredictor(IReadOnlyList<string> models, IPromptEncoder encoder, double[][] weights, double[] meanCost)
    {
        Models = models;
        _encoder = encoder;
        _weights = weights;
        _meanCost = meanCost;
    }

    public IReadOnlyList<string> Models { get; }

    public static RidgeScorePredictor Fit(TrainingSet train, IPromptEncoder encoder, double penalty)
    {
        if (!(penalty > 0)) throw new ArgumentOutOfRangeException(nameof(penalty), penalty, "ridge penalty must be positive");
        var weights = new double[train.ModelCount][];
        var groups = Enumerable.Range(0, train.ModelCount)
            .GroupBy(m => string.Concat(Enumerable.Range(0, train.PromptCount).Select(p => train.Has(p, m) ? '1' : '0')));
        foreach (var group in groups)
        {
            var rows = Enumerable.Range(0, train.PromptCount).Where(p => train.Has(p, group.First())).ToArray();
            var cholesky = RegularisedGram(train, rows, penalty).Cholesky();
            foreach (var m in group)
            {
                var rhs = Vector<double>.Build.Dense(encoder.Dimension + 1);
                foreach (var p in rows)
                {
                    var y = train.Score(p, m);
                    var x = train.Features[p];
                    for (var j = 0; j < x.Length; j++) rhs[j] += x[j] * y;
                    rhs[x.Length] += y;
                }
                weights[m] = cholesky.Solve(rhs).ToArray();
            }
        }
        return new RidgeScorePredictor(train.Models, encoder, weights, (double[])train.MeanCost.Clone());
    }

    public void Predict(Prompt prompt, Span<double> score, Span<double> cost)
    {
        var x = prompt.Features(_encoder);
        for (var m = 0; m < _weights.Length; m++)
        {
            var w = _weights[m];
            var s = w[x.Length];
            for (var j = 0; j < x.Length; j++) s += w[j] * x[j];
            score[m] = Math.Clamp(s, 0, 1);
            cost[m] = _meanCost[m];
        }
    }

    /// <summary>[X 1]ᵀ[X 1] + penalty·I over the given rows, the intercept left unpenalised.</summary>
    private static Matrix<double> RegularisedGram(TrainingSet train, int[] rows, double penalty)
    {
        var d = train.Features[0].Length + 1;
        var gram = new double[d * d];
        var row = new double[d];
        foreach (var p in rows)
        {
            var x = train.Features[p];
            for (var j = 0; j < x.Length; j++) row[j] = x[j];
            row[d - 1] = 1;
            // TF-IDF rows are sparse: only non-zero features add to the Gram matrix.
            for (var a = 0; a < d; a++)
                if (row[a] != 0) TensorPrimitives.MultiplyAdd(row, row[a], gram.AsSpan(a * d, d), gram.AsSpan(a * d, d));
        }
        for (var j = 0; j < d - 1; j++) gram[j * d + j] += penalty;
        // A vanishing ridge on the intercept keeps the factorisation defined when a feature is constant.
        gram[d * d - 1] += 1e-9;
        return Matrix<double>.Build.Dense(d, d, gram); // symmetric, so row- and column-major agree
    }
}

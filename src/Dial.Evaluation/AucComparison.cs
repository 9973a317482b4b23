using System.Numerics.Tensors;
using Dial.Data;

namespace Dial.Evaluation;

/// <summary>
/// The auc of <paramref name="Router"/> minus that of <paramref name="Against"/> on the test split, and how sure the
/// split makes it: a paired percentile bootstrap over the test prompts. Each resample re-weights the same prompts for
/// both routers' whole sweeps and for the single models that set the auc's cost span, so what the two routers do alike
/// cancels and only where they differ widens the interval. A difference whose interval holds 0 is a tie on this split,
/// whatever its sign.
/// </summary>
/// <param name="Difference">Router's auc minus Against's, on the test split itself.</param>
/// <param name="ShareAhead">The share of resamples in which Router's auc is the higher.</param>
public sealed record AucComparison(string Router, string Against, double Difference, Interval Interval95, double ShareAhead)
{
    /// <summary>
    /// The router of highest auc (the first of them on a tie) against each of the others, on
    /// <paramref name="bootstrap"/>'s resamples: whether the leader's lead over each is more than the split's noise,
    /// whatever order the routers were given in. None when there is one router or the split gives no auc
    /// (<see cref="CurveMetrics.Auc"/>).
    /// </summary>
    /// <param name="choices">Per router, per cost weight of its sweep, the model index chosen for each test prompt.</param>
    internal static IReadOnlyList<AucComparison> LeaderAgainstOthers(IReadOnlyList<RouterResult> routers, IReadOnlyList<int[][]> choices, RoutingTable test, Bootstrap bootstrap)
    {
        if (routers.Count < 2 || routers.Any(r => r.Metrics.Auc is null)) return [];
        var leader = 0;
        for (var r = 1; r < routers.Count; r++)
            if (routers[r].Metrics.Auc > routers[leader].Metrics.Auc) leader = r;
        var curves = choices.Select(c => new ChosenOutcomes(c, test)).ToArray();
        var singles = new SingleOutcomes(test);
        var aucs = routers.Select(_ => new double[bootstrap.Samples]).ToArray();
        Parallel.For(0, bootstrap.Samples, s =>
        {
            var counts = bootstrap.Counts(s);
            var resampledSingles = singles.Resampled(counts);
            for (var r = 0; r < curves.Length; r++)
                aucs[r][s] = CurveMetrics.AucOf(ParetoFrontier.Of(curves[r].Resampled(counts, routers[r].Points)), resampledSingles) ?? double.NaN;
        });
        return Enumerable.Range(0, routers.Count).Where(r => r != leader).Select(other =>
        {
            var differences = aucs[leader].Zip(aucs[other], (a, b) => a - b).ToArray();
            var ahead = differences.Count(d => d > 0) / (double)differences.Length;
            var difference = routers[leader].Metrics.Auc!.Value - routers[other].Metrics.Auc!.Value;
            return new AucComparison(routers[leader].Name, routers[other].Name, difference, Bootstrap.Interval95Of(differences), ahead);
        }).ToArray();
    }

    /// <summary>One sweep's chosen scores and costs, per weight one value per prompt, so a resampled point is two dot products.</summary>
    private sealed class ChosenOutcomes
    {
        private readonly float[][] _scores;
        private readonly float[][] _costs;

        public ChosenOutcomes(int[][] choices, RoutingTable test)
        {
            _scores = choices.Select(c => c.Select((m, p) => (float)test.Score(p, m)).ToArray()).ToArray();
            _costs = choices.Select(c => c.Select((m, p) => (float)test.Cost(p, m)).ToArray()).ToArray();
        }

        public CurvePoint[] Resampled(ReadOnlySpan<float> counts, IReadOnlyList<CurvePoint> points)
        {
            var n = TensorPrimitives.Sum(counts);
            var resampled = new CurvePoint[_scores.Length];
            for (var w = 0; w < resampled.Length; w++)
                resampled[w] = points[w] with { Quality = TensorPrimitives.Dot(counts, _scores[w]) / n, CostPerPrompt = TensorPrimitives.Dot(counts, _costs[w]) / n };
            return resampled;
        }
    }

    /// <summary>Each model's scores and costs with 0 where it has no result, and where it has one.</summary>
    private sealed class SingleOutcomes
    {
        private readonly string[] _models;
        private readonly float[][] _scores;
        private readonly float[][] _costs;
        private readonly float[][] _has;

        public SingleOutcomes(RoutingTable test)
        {
            var models = Enumerable.Range(0, test.Models.Count).ToArray();
            _models = models.Select(m => test.Models[m].Name).ToArray();
            _has = models.Select(m => Enumerable.Range(0, test.PromptCount).Select(p => test.Has(p, m) ? 1f : 0f).ToArray()).ToArray();
            _scores = models.Select(m => Enumerable.Range(0, test.PromptCount).Select(p => test.Has(p, m) ? (float)test.Score(p, m) : 0f).ToArray()).ToArray();
            _costs = models.Select(m => Enumerable.Range(0, test.PromptCount).Select(p => test.Has(p, m) ? (float)test.Cost(p, m) : 0f).ToArray()).ToArray();
        }

        /// <summary>As <see cref="EvaluationHarness.SingleModels"/> on the resample: each model over the drawn prompts it has a result for.</summary>
        public SingleModelResult[] Resampled(ReadOnlySpan<float> counts)
        {
            var singles = new List<SingleModelResult>(_models.Length);
            for (var m = 0; m < _models.Length; m++)
            {
                var n = TensorPrimitives.Dot(counts, _has[m]);
                if (n > 0) singles.Add(new SingleModelResult(_models[m], TensorPrimitives.Dot(counts, _scores[m]) / n, TensorPrimitives.Dot(counts, _costs[m]) / n));
            }
            return [.. singles];
        }
    }
}

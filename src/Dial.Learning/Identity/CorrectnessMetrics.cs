using Dial.Data;

namespace Dial.Learning.Identity;

/// <summary>
/// How well predicted probabilities of a good answer match recorded outcomes on (prompt, model) cells.
/// Scores are soft labels for the log-likelihood; for AUC a score of at least 0.5 counts as a good answer.
/// </summary>
/// <param name="LogLikelihood">Mean soft-label log-likelihood per cell, in nats (higher is better).</param>
/// <param name="Auc">AUC over all cells pooled: mostly tells strong models from weak ones.</param>
/// <param name="MacroAuc">Mean of per-model AUCs over prompts (models whose outcomes are all alike are left out): which prompts a given model gets right.</param>
public sealed record CorrectnessMetrics(int Cells, double LogLikelihood, double Auc, double MacroAuc)
{
    public const double GoodAnswerThreshold = 0.5;

    /// <param name="predict">Given a prompt's index in the table, the predicted probability for every model, in the table's model order.</param>
    /// <param name="models">The model columns to score (default all).</param>
    public static CorrectnessMetrics Evaluate(RoutingTable table, Func<int, IReadOnlyList<double>> predict, IReadOnlyCollection<int>? models = null)
    {
        models ??= Enumerable.Range(0, table.ModelCount).ToArray();
        var perModel = models.ToDictionary(m => m, _ => new List<(double P, double Y)>());
        for (var p = 0; p < table.PromptCount; p++)
        {
            if (!models.Any(m => table.Has(p, m))) continue;
            var probabilities = predict(p);
            foreach (var m in models)
                if (table.Has(p, m)) perModel[m].Add((probabilities[m], table.Score(p, m)));
        }
        var all = perModel.Values.SelectMany(c => c).ToArray();
        if (all.Length == 0) throw new ArgumentException($"{table.Source}: no observed cells to evaluate");
        var macro = perModel.Values.Select(AreaUnderRoc).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
        return new CorrectnessMetrics(all.Length, all.Average(c => SoftLabel.LogLikelihood(c.P, c.Y)), AreaUnderRoc(all), macro);
    }

    /// <summary>Rank-sum (Mann–Whitney) AUC with ties sharing ranks; NaN when only one class occurs.</summary>
    public static double AreaUnderRoc(IReadOnlyList<(double P, double Y)> cells)
    {
        var sorted = cells.OrderBy(c => c.P).ToArray();
        double positiveRankSum = 0;
        long positives = 0;
        for (var i = 0; i < sorted.Length;)
        {
            var j = i;
            while (j < sorted.Length && sorted[j].P == sorted[i].P) j++;
            var averageRank = (i + j + 1) / 2.0;
            for (var t = i; t < j; t++)
                if (sorted[t].Y >= GoodAnswerThreshold) { positiveRankSum += averageRank; positives++; }
            i = j;
        }
        long negatives = sorted.Length - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }
}

namespace Dial.Data;

/// <summary>One model's record in a table.</summary>
/// <param name="Coverage">Fraction of prompts the model has a result for.</param>
public sealed record ModelStatistics(string Model, int Results, double Coverage, double MeanScore, double MeanCostUsd);

/// <summary>What <c>dial data stats</c> reports: counts, per-model means and coverage, and the oracle.</summary>
public sealed record TableStatistics(
    string Source,
    int Prompts,
    int TrainPrompts,
    int TestPrompts,
    IReadOnlyDictionary<string, int> PromptsPerTask,
    IReadOnlyList<ModelStatistics> Models,
    OracleResult Oracle)
{
    public static TableStatistics Of(RoutingTable table)
    {
        var models = new List<ModelStatistics>(table.ModelCount);
        for (var m = 0; m < table.ModelCount; m++)
        {
            int n = 0;
            double score = 0, cost = 0;
            for (var p = 0; p < table.PromptCount; p++)
            {
                if (!table.Has(p, m)) continue;
                n++;
                score += table.Score(p, m);
                cost += table.Cost(p, m);
            }
            models.Add(new ModelStatistics(table.Models[m].Name, n, table.PromptCount == 0 ? 0 : (double)n / table.PromptCount,
                n == 0 ? double.NaN : score / n, n == 0 ? double.NaN : cost / n));
        }
        return new TableStatistics(
            table.Source,
            table.PromptCount,
            table.Prompts.Count(p => p.Split == Split.Train),
            table.Prompts.Count(p => p.Split == Split.Test),
            table.Prompts.GroupBy(p => p.Task).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            models,
            OracleResult.Of(table));
    }
}

/// <summary>
/// The router that knows every outcome in advance: per prompt, the best recorded score, and among models
/// with that score the cheapest. The ceiling no real router reaches.
/// </summary>
public sealed record OracleResult(double Quality, double CostUsdPerPrompt, IReadOnlyList<int> Choices)
{
    public static OracleResult Of(RoutingTable table)
    {
        var choices = new int[table.PromptCount];
        double quality = 0, cost = 0;
        var counted = 0;
        for (var p = 0; p < table.PromptCount; p++)
        {
            var best = -1;
            for (var m = 0; m < table.ModelCount; m++)
            {
                if (!table.Has(p, m)) continue;
                if (best < 0 || table.Score(p, m) > table.Score(p, best) ||
                    (table.Score(p, m) == table.Score(p, best) && table.Cost(p, m) < table.Cost(p, best)))
                    best = m;
            }
            choices[p] = best;
            if (best < 0) continue;
            counted++;
            quality += table.Score(p, best);
            cost += table.Cost(p, best);
        }
        return counted == 0 ? new OracleResult(double.NaN, double.NaN, choices) : new OracleResult(quality / counted, cost / counted, choices);
    }
}

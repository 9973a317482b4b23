using System.Runtime.CompilerServices;
using Dial.Data;

namespace Dial.Learning;

/// <summary>
/// The training table as learners read it: one feature row per prompt and dense score and cost matrices
/// (NaN where a model has no result). It is built once per <see cref="TrainingContext"/> and shared, so routers
/// trained on the same context never encode the same training prompt twice.
/// </summary>
public sealed class TrainingSet
{
    private static readonly ConditionalWeakTable<TrainingContext, TrainingSet> Cache = new();

    private TrainingSet(TrainingContext context)
    {
        var table = context.Train;
        if (table.PromptCount == 0) throw new ArgumentException($"{table.Source}: cannot train a router on a table with no prompts");
        Models = table.Models.Select(m => m.Name).ToArray();
        Features = new float[table.PromptCount][];
        Parallel.For(0, table.PromptCount, p => Features[p] = context.Encoder.Encode(table.Prompts[p].Text));
        var k = Models.Count;
        Scores = new double[table.PromptCount * k];
        Costs = new double[table.PromptCount * k];
        MeanScore = new double[k];
        MeanCost = new double[k];
        var counts = new int[k];
        for (var p = 0; p < table.PromptCount; p++)
            for (var m = 0; m < k; m++)
            {
                Scores[p * k + m] = table.Score(p, m);
                Costs[p * k + m] = table.Cost(p, m);
                if (!table.Has(p, m)) continue;
                counts[m]++;
                MeanScore[m] += table.Score(p, m);
                MeanCost[m] += table.Cost(p, m);
            }
        for (var m = 0; m < k; m++)
        {
            if (counts[m] == 0) throw new ArgumentException($"{table.Source}: model '{Models[m]}' has no result in the training split, so no router can learn it");
            MeanScore[m] /= counts[m];
            MeanCost[m] /= counts[m];
        }
    }

    /// <summary>The shared training set of a context, built on first use.</summary>
    public static TrainingSet Of(TrainingContext context) => Cache.GetValue(context, c => new TrainingSet(c));

    /// <summary>Model names in the order of the matrix columns.</summary>
    public IReadOnlyList<string> Models { get; }

    public int PromptCount => Features.Length;

    public int ModelCount => Models.Count;

    /// <summary>One encoded row per training prompt.</summary>
    public float[][] Features { get; }

    /// <summary>Scores, [prompt * models + model], NaN where missing.</summary>
    public double[] Scores { get; }

    /// <summary>Costs in USD, [prompt * models + model], NaN where missing.</summary>
    public double[] Costs { get; }

    /// <summary>Per-model mean training score over the prompts it answered.</summary>
    public double[] MeanScore { get; }

    /// <summary>Per-model mean training cost over the prompts it answered.</summary>
    public double[] MeanCost { get; }

    public bool Has(int prompt, int model) => !double.IsNaN(Scores[prompt * ModelCount + model]);

    public double Score(int prompt, int model) => Scores[prompt * ModelCount + model];

    public double Cost(int prompt, int model) => Costs[prompt * ModelCount + model];
}

using Dial.Data;

namespace Dial.Evaluation;

/// <summary>
/// A table for choosing hyper-parameters without looking at the test split: only the train prompts, of which a
/// seeded random fraction is relabelled as the test split. Evaluating on it measures a router on prompts it did
/// not train on while the real test split stays unseen; different seeds hold out different slices.
/// </summary>
public static class ValidationSplit
{
    public static RoutingTable Of(RoutingTable table, double fraction, int seed)
    {
        if (!(fraction is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "the validation fraction must be between 0 and 1 (exclusive)");
        var train = table.Where(Split.Train);
        var held = (int)Math.Round(train.PromptCount * fraction);
        if (held == 0 || held == train.PromptCount)
            throw new ArgumentException($"{table.Source}: a validation fraction of {fraction} of {train.PromptCount} train prompts leaves no prompts on one side");
        var order = Enumerable.Range(0, train.PromptCount).ToArray();
        new Random(seed).Shuffle(order);
        var splits = new Split[train.PromptCount];
        Array.Fill(splits, Split.Train);
        foreach (var p in order.AsSpan(0, held)) splits[p] = Split.Test;
        return train.WithSplits(splits);
    }
}

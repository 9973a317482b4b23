using Dial.Data;

namespace Dial.Learning.Identity;

/// <summary>
/// Chooses the identity dimension and the number of epochs on a validation slice of the training prompts
/// (never on test), then refits on all training prompts with the choice.
/// </summary>
public static class IdentityModelSelection
{
    public static readonly IReadOnlyList<int> DefaultDimensions = [2, 4, 8, 16];

    /// <summary>Splits the table's prompts at random into a fitting part and a validation part of the given fraction.</summary>
    public static (RoutingTable Fit, RoutingTable Validation) SplitValidation(RoutingTable train, double fraction, int seed)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "validation fraction must be in (0, 1)");
        var order = Enumerable.Range(0, train.PromptCount).ToArray();
        new Random(seed).Shuffle(order);
        var n = (int)Math.Round(train.PromptCount * fraction);
        if (n < 1 || n >= train.PromptCount) throw new ArgumentException($"{train.Source}: {train.PromptCount} training prompts are too few to hold out a validation slice");
        return (train.SelectPrompts(order[n..].Order()), train.SelectPrompts(order[..n].Order()));
    }

    /// <summary>The options (dimension and epochs) with the best validation log-likelihood, and every candidate's best.</summary>
    public static (IrtFitOptions Chosen, IReadOnlyList<(int Dimension, int Epochs, double LogLikelihood)> Candidates) ChooseIrt(
        RoutingTable train, IPromptEncoder encoder, IrtFitOptions options, IReadOnlyList<int> dimensions, double validationFraction = 0.2)
    {
        var (fit, validation) = SplitValidation(train, validationFraction, options.Seed);
        var candidates = dimensions.Select(d =>
        {
            var curve = IrtModel.Fit(fit, encoder, options with { Dimension = d }, validation).ValidationLogLikelihood;
            var best = BestEpoch(curve);
            return (Dimension: d, Epochs: best + 1, LogLikelihood: curve[best]);
        }).ToArray();
        var winner = candidates.MaxBy(c => c.LogLikelihood);
        return (options with { Dimension = winner.Dimension, Epochs = winner.Epochs }, candidates);
    }

    /// <summary>
    /// The baseline's learning rate and epochs (up to <paramref name="maxEpochs"/>) chosen the same way, so the
    /// comparison is not won by under-training the baseline.
    /// </summary>
    public static IrtFitOptions ChooseBaseline(RoutingTable train, IPromptEncoder encoder, IrtFitOptions options, int maxEpochs = 60, double validationFraction = 0.2)
    {
        var (fit, validation) = SplitValidation(train, validationFraction, options.Seed);
        return BaselineLearningRates.Select(rate =>
        {
            var curve = LogisticBaseline.Fit(fit, encoder, options with { LearningRate = rate, Epochs = maxEpochs }, validation).ValidationLogLikelihood;
            var best = BestEpoch(curve);
            return (Options: options with { LearningRate = rate, Epochs = best + 1 }, LogLikelihood: curve[best]);
        }).MaxBy(c => c.LogLikelihood).Options;
    }

    private static readonly float[] BaselineLearningRates = [1e-3f, 3e-3f, 1e-2f];

    private static int BestEpoch(IReadOnlyList<double> curve) => Enumerable.Range(0, curve.Count).MaxBy(i => curve[i]);
}

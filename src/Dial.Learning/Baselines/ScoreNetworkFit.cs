using System.Numerics.Tensors;
using Dial.Learning.Neural;

namespace Dial.Learning.Baselines;

/// <summary>How <see cref="ScoreNetworkFit"/> trains a network.</summary>
/// <param name="ValidationFraction">Share of the training prompts held out to pick the epoch to keep.</param>
internal sealed record ScoreNetworkOptions(
    int Epochs = 40,
    int BatchSize = 32,
    float LearningRate = 1e-3f,
    float L2 = 1e-4f,
    double ValidationFraction = 0.15);

/// <summary>
/// Fits an <see cref="IScoreNetwork"/> to the observed cells of a training set: binary cross-entropy between
/// sigmoid(logit) and the recorded score (scores in [0, 1] are soft labels), averaged over observed cells only,
/// so a missing cell teaches nothing; plus an L2 penalty. Adam, mini-batches, and early stopping on a
/// validation slice of the training prompts (never the test split).
/// </summary>
internal static class ScoreNetworkFit
{
    /// <summary>
    /// A predict-then-optimise router over a network built by <paramref name="create"/> (inputs, models, random)
    /// and fitted on the context's train split with the default options.
    /// </summary>
    public static IRouter TrainRouter(string name, TrainingContext context, Func<int, int, Random, IScoreNetwork> create)
    {
        var train = TrainingSet.Of(context);
        var random = new Random(context.Seed);
        var network = create(context.Encoder.Dimension, train.ModelCount, random);
        Train(network, train, new ScoreNetworkOptions(), random);
        return new PredictThenOptimiseRouter(name, new NetworkScorePredictor(network, train, context.Encoder), context.Scale);
    }

    public static void Train(IScoreNetwork network, TrainingSet train, ScoreNetworkOptions options, Random random)
    {
        var order = Enumerable.Range(0, train.PromptCount).ToArray();
        random.Shuffle(order);
        var validationCount = train.PromptCount >= 20 ? (int)(train.PromptCount * options.ValidationFraction) : 0;
        var validation = order[..validationCount];
        var fit = order[validationCount..];
        var targets = Enumerable.Range(0, train.PromptCount)
            .Select(p => Enumerable.Range(0, train.ModelCount).Select(m => train.Score(p, m)).ToArray()).ToArray();

        // The L2 penalty is part of the loss (its gradient is checked with the rest), so Adam decays nothing itself.
        var adam = new Adam(network.Parameters, options.LearningRate);
        var best = network.Parameters.Select(p => (float[])p.Value.Clone()).ToArray();
        var bestLoss = validationCount > 0 ? Loss(network, train.Features, targets, validation, 0, withGradient: false) : double.PositiveInfinity;
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            random.Shuffle(fit);
            for (var start = 0; start < fit.Length; start += options.BatchSize)
            {
                var batch = fit.AsSpan(start, Math.Min(options.BatchSize, fit.Length - start));
                Loss(network, train.Features, targets, batch, options.L2, withGradient: true);
                adam.Step();
            }
            if (validationCount == 0) continue;
            var loss = Loss(network, train.Features, targets, validation, 0, withGradient: false);
            if (loss < bestLoss)
            {
                bestLoss = loss;
                CopyValues(network.Parameters, best);
            }
        }
        if (validationCount > 0)
            for (var i = 0; i < best.Length; i++) Array.Copy(best[i], network.Parameters[i].Value, best[i].Length);
    }

    /// <summary>
    /// The training objective on the given prompts: mean cross-entropy over their observed cells plus
    /// l2/2 · Σ w² over the penalised weights. With <paramref name="withGradient"/> each parameter's gradient is
    /// overwritten with the objective's gradient.
    /// </summary>
    public static double Loss(IScoreNetwork network, float[][] features, double[][] targets, ReadOnlySpan<int> prompts, float l2, bool withGradient)
    {
        var cells = 0;
        foreach (var p in prompts)
            foreach (var y in targets[p])
                if (!double.IsNaN(y)) cells++;
        if (withGradient)
            foreach (var parameter in network.Parameters) parameter.ZeroGradient();
        var logits = new float[network.ModelCount];
        var logitGradient = new float[network.ModelCount];
        double loss = 0;
        foreach (var p in prompts)
        {
            network.Logits(features[p], logits);
            for (var m = 0; m < logits.Length; m++)
            {
                var y = targets[p][m];
                if (double.IsNaN(y))
                {
                    logitGradient[m] = 0;
                    continue;
                }
                double z = logits[m];
                // softplus(z) - y·z, written so that exp never overflows.
                loss += Math.Max(z, 0) - y * z + Math.Log(1 + Math.Exp(-Math.Abs(z)));
                logitGradient[m] = (float)((Activation.Sigmoid(z) - y) / cells);
            }
            if (withGradient) network.Backward(features[p], logitGradient);
        }
        loss = cells > 0 ? loss / cells : 0;
        if (l2 > 0)
            foreach (var w in network.PenalisedParameters)
            {
                loss += 0.5 * l2 * TensorPrimitives.SumOfSquares<float>(w.Value);
                if (withGradient) TensorPrimitives.MultiplyAdd(w.Value, l2, w.Gradient, w.Gradient);
            }
        return loss;
    }

    private static void CopyValues(IReadOnlyList<Parameter> parameters, float[][] into)
    {
        for (var i = 0; i < into.Length; i++) Array.Copy(parameters[i].Value, into[i], into[i].Length);
    }
}

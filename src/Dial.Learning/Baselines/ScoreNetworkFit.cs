using System.Numerics.Tensors;

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
    private const float Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-8f;

    public static void Train(IScoreNetwork network, TrainingSet train, ScoreNetworkOptions options, Random random)
    {
        var order = Enumerable.Range(0, train.PromptCount).ToArray();
        random.Shuffle(order);
        var validationCount = train.PromptCount >= 20 ? (int)(train.PromptCount * options.ValidationFraction) : 0;
        var validation = order[..validationCount];
        var fit = order[validationCount..];
        var targets = Enumerable.Range(0, train.PromptCount)
            .Select(p => Enumerable.Range(0, train.ModelCount).Select(m => train.Score(p, m)).ToArray()).ToArray();

        var parameters = network.Parameters;
        var gradient = new float[parameters.Length];
        var moment1 = new float[parameters.Length];
        var moment2 = new float[parameters.Length];
        var best = (float[])parameters.Clone();
        var bestLoss = validationCount > 0 ? Loss(network, train.Features, targets, validation, 0, null) : double.PositiveInfinity;
        var step = 0;
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            random.Shuffle(fit);
            for (var start = 0; start < fit.Length; start += options.BatchSize)
            {
                var batch = fit.AsSpan(start, Math.Min(options.BatchSize, fit.Length - start));
                Loss(network, train.Features, targets, batch, options.L2, gradient);
                step++;
                var lr = options.LearningRate * MathF.Sqrt(1 - MathF.Pow(Beta2, step)) / (1 - MathF.Pow(Beta1, step));
                for (var i = 0; i < parameters.Length; i++)
                {
                    var g = gradient[i];
                    moment1[i] = Beta1 * moment1[i] + (1 - Beta1) * g;
                    moment2[i] = Beta2 * moment2[i] + (1 - Beta2) * g * g;
                    parameters[i] -= lr * moment1[i] / (MathF.Sqrt(moment2[i]) + Epsilon);
                }
            }
            if (validationCount == 0) continue;
            var loss = Loss(network, train.Features, targets, validation, 0, null);
            if (loss < bestLoss)
            {
                bestLoss = loss;
                Array.Copy(parameters, best, parameters.Length);
            }
        }
        if (validationCount > 0) Array.Copy(best, parameters, parameters.Length);
    }

    /// <summary>
    /// The training objective on the given prompts: mean cross-entropy over their observed cells plus
    /// l2/2 · Σ w² over the penalised weights. When <paramref name="gradient"/> is given it is overwritten with the
    /// objective's gradient.
    /// </summary>
    public static double Loss(IScoreNetwork network, float[][] features, double[][] targets, ReadOnlySpan<int> prompts, float l2, float[]? gradient)
    {
        var cells = 0;
        foreach (var p in prompts)
            foreach (var y in targets[p])
                if (!double.IsNaN(y)) cells++;
        gradient?.AsSpan().Clear();
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
                logitGradient[m] = (float)((Sigmoid(z) - y) / cells);
            }
            if (gradient is not null) network.Backward(features[p], logitGradient, gradient);
        }
        loss = cells > 0 ? loss / cells : 0;
        if (l2 > 0)
            foreach (var range in network.PenalisedRanges)
            {
                var w = network.Parameters.AsSpan(range);
                loss += 0.5 * l2 * TensorPrimitives.SumOfSquares(w);
                if (gradient is not null) TensorPrimitives.MultiplyAdd(w, l2, gradient.AsSpan(range), gradient.AsSpan(range));
            }
        return loss;
    }

    public static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    /// <summary>Uniform initial weights in [-limit, limit].</summary>
    public static void FillUniform(Span<float> weights, double limit, Random random)
    {
        for (var i = 0; i < weights.Length; i++) weights[i] = (float)((random.NextDouble() * 2 - 1) * limit);
    }
}

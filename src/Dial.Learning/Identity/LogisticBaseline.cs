using Dial.Data;
using Dial.Learning.Neural;

namespace Dial.Learning.Identity;

/// <summary>
/// The baseline the identity model is compared with: an independent L2-regularised logistic regression per
/// model on the same prompt features, P(k answers x well) = σ(w_k·x + c_k). It shares nothing between
/// models, so it needs every model's full data and cannot place a new model from a short quiz.
/// All models' regressions are one dense layer with one output per model, trained on the observed cells only.
/// </summary>
public sealed class LogisticBaseline
{
    private readonly IPromptEncoder _encoder;
    private readonly Dense _layer;

    private LogisticBaseline(IPromptEncoder encoder, Dense layer, IReadOnlyList<double> validationCurve)
    {
        _encoder = encoder;
        _layer = layer;
        ValidationLogLikelihood = validationCurve;
    }

    /// <summary>Mean log-likelihood per cell on the validation table after each epoch; empty when none was given.</summary>
    public IReadOnlyList<double> ValidationLogLikelihood { get; }

    /// <summary>Fits with AdamW (weight decay as the L2 penalty); uses the learning rate, epochs, batch size, weight decay and seed of <paramref name="options"/>.</summary>
    public static LogisticBaseline Fit(RoutingTable train, IPromptEncoder encoder, IrtFitOptions options, RoutingTable? validation = null)
    {
        options.Validate();
        var data = new ObservedCells(train, encoder);
        var random = new Random(options.Seed);
        var layer = new Dense("logistic", encoder.Dimension, train.ModelCount, random);
        var optimiser = new Adam(layer.Parameters, options.LearningRate, weightDecay: options.WeightDecay);
        var order = Enumerable.Range(0, data.Prompts).ToArray();
        var logits = new float[train.ModelCount];
        var gradLogits = new float[train.ModelCount];
        var validationCells = validation is null ? null : new ObservedCells(validation, encoder);
        var curve = new List<double>();
        var model = new LogisticBaseline(encoder, layer, curve);
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            random.Shuffle(order);
            for (var start = 0; start < order.Length; start += options.BatchSize)
            {
                var batch = new ArraySegment<int>(order, start, Math.Min(options.BatchSize, order.Length - start));
                var cells = batch.Sum(p => data.Cells[p].Length);
                if (cells == 0) continue;
                foreach (var p in batch)
                {
                    layer.Forward(data.Features[p], logits);
                    Array.Clear(gradLogits);
                    foreach (var (m, y) in data.Cells[p]) gradLogits[m] = (float)SoftLabel.Gradient(logits[m], y);
                    layer.Backward(data.Features[p], gradLogits, Span<float>.Empty);
                }
                optimiser.Step(1f / cells);
            }
            if (validationCells is not null) curve.Add(model.MeanLogLikelihood(validationCells));
        }
        return model;
    }

    public IReadOnlyList<double> Probabilities(string promptText) => ProbabilitiesOfFeatures(_encoder.Encode(promptText));

    private double[] ProbabilitiesOfFeatures(float[] features)
    {
        var logits = new float[_layer.Outputs];
        _layer.Forward(features, logits);
        return logits.Select(z => Activation.Sigmoid(z)).ToArray();
    }

    private double MeanLogLikelihood(ObservedCells cells)
    {
        double sum = 0;
        for (var p = 0; p < cells.Prompts; p++)
        {
            var probabilities = ProbabilitiesOfFeatures(cells.Features[p]);
            foreach (var (m, y) in cells.Cells[p]) sum += SoftLabel.LogLikelihood(probabilities[m], y);
        }
        return sum / cells.Count;
    }
}

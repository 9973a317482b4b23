using Dial.Data;
using Dial.Learning.Neural;

namespace Dial.Learning.Identity;

/// <summary>
/// Multidimensional item-response model of which models answer which prompts well:
/// P(model k answers x well) = σ(θ_k · a(x) − b(x)), with a(x), b(x) from the prompt's features through
/// <see cref="ItemNetwork"/> and a Gaussian posterior over each θ_k. The posteriors are the models'
/// identity vectors; the prompt side is kept so new models can be onboarded against it.
/// </summary>
public sealed class IrtModel
{
    private IrtModel(PromptItemModel items, IdentityTable identities, IReadOnlyList<double> validationCurve)
    {
        Items = items;
        Identities = identities;
        ValidationLogLikelihood = validationCurve;
    }

    public PromptItemModel Items { get; }

    public IdentityTable Identities { get; }

    /// <summary>Mean log-likelihood per cell on the validation table after each epoch; empty when none was given.</summary>
    public IReadOnlyList<double> ValidationLogLikelihood { get; }

    public int Dimension => Items.Dimension;

    /// <summary>Fits by maximising the ELBO with Adam over minibatches of prompts. Deterministic given <see cref="IrtFitOptions.Seed"/>.</summary>
    /// <param name="train">Training prompts and outcomes; scores in [0, 1] are soft labels, missing cells are skipped.</param>
    /// <param name="validation">When given, scored after every epoch (never used for fitting).</param>
    public static IrtModel Fit(RoutingTable train, IPromptEncoder encoder, IrtFitOptions? options = null, RoutingTable? validation = null)
    {
        options ??= new IrtFitOptions();
        options.Validate();
        if (validation is not null && !validation.Models.Select(m => m.Name).SequenceEqual(train.Models.Select(m => m.Name)))
            throw new ArgumentException($"{validation.Source}: the validation table must have the training table's models, in the same order");
        var data = new ObservedCells(train, encoder);
        var random = new Random(options.Seed);
        var network = new ItemNetwork(encoder.Dimension, options.Hidden, options.Dimension, random);
        // Small initial means break the symmetry between dimensions; a small σ keeps early gradients from drowning in noise.
        var identities = new VariationalIdentities(train.ModelCount, options.Dimension, random, initialMeanStd: 0.1f, initialStd: 0.1f);
        var elbo = new IrtElbo(network, identities, data);
        var networkOptimiser = new Adam(network.Parameters, options.LearningRate, weightDecay: options.WeightDecay);
        var identityOptimiser = new Adam(identities.Parameters, options.IdentityLearningRate);
        var order = Enumerable.Range(0, data.Prompts).ToArray();
        var epsilon = new float[train.ModelCount * options.Dimension];
        var validationCells = validation is null ? null : new ObservedCells(validation, encoder);
        var curve = new List<double>();
        var items = new PromptItemModel(encoder, network);
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            random.Shuffle(order);
            for (var start = 0; start < order.Length; start += options.BatchSize)
            {
                var batch = new ArraySegment<int>(order, start, Math.Min(options.BatchSize, order.Length - start));
                for (var i = 0; i < epsilon.Length; i++) epsilon[i] = (float)Gaussian.Sample(random);
                elbo.Loss(batch, epsilon, accumulateGradients: true);
                networkOptimiser.Step();
                identityOptimiser.Step();
            }
            if (validationCells is not null)
                curve.Add(MeanLogLikelihood(items, IdentitiesOf(identities, train, data), validationCells));
        }
        var (shift, scale) = identities.Standardise();
        network.ShiftAndScaleIdentitySpace(shift, scale);
        var fitted = IdentitiesOf(identities, train, data);
        var population = PopulationPrior.Of(fitted.Select(i => i.Mean).ToArray());
        return new IrtModel(new PromptItemModel(encoder, network, population), new IdentityTable(fitted), curve);
    }

    /// <summary>P(model answers the prompt well), averaged over the model's identity posterior.</summary>
    public double Probability(Prompt prompt, string model) => Items.ItemOf(prompt).Probability(Identities[model]);

    private static ModelIdentity[] IdentitiesOf(VariationalIdentities q, RoutingTable train, ObservedCells data) =>
        train.Models.Select((m, k) => q.Identity(k, m.Name, data.EvidenceOf(k))).ToArray();

    private static double MeanLogLikelihood(PromptItemModel items, ModelIdentity[] identities, ObservedCells cells)
    {
        double sum = 0;
        for (var p = 0; p < cells.Prompts; p++)
        {
            var item = items.ItemOfFeatures(cells.Features[p]);
            foreach (var (m, y) in cells.Cells[p]) sum += SoftLabel.LogLikelihood(item.Probability(identities[m]), y);
        }
        return sum / cells.Count;
    }
}

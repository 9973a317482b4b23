using System.Diagnostics;
using Dial.Data;
using Dial.Features;

namespace Dial.Learning.Identity;

/// <summary>One line of the onboarding study: a selector at a budget, averaged over held-out models and seeds.</summary>
/// <param name="LogLikelihood">Mean test log-likelihood per held-out cell, averaged over seeds.</param>
/// <param name="LogLikelihoodSd">Its standard deviation across seeds.</param>
/// <param name="Auc">AUC over all held-out models' test cells pooled.</param>
/// <param name="MacroAuc">Mean per-model AUC over test prompts.</param>
/// <param name="DistanceToFull">Mean ‖μ_quiz − μ_full‖ between the onboarded and the full-data identity.</param>
/// <param name="MillisecondsPerModel">Mean wall time of one onboarding (quiz selection, posterior updates and the final fit).</param>
public sealed record OnboardingStudyRow(
    string Selector, int Budget, double LogLikelihood, double LogLikelihoodSd, double Auc, double MacroAuc, double DistanceToFull, double MillisecondsPerModel);

public sealed record OnboardingStudyResult(IReadOnlyList<string> HeldOut, IrtFitOptions Irt, int TrainModels, IReadOnlyList<OnboardingStudyRow> Rows);

/// <summary>
/// Leave-models-out evaluation of onboarding: fit the identity model on the train split without some models,
/// onboard each held-out model from a quiz on train prompts, and score its predicted correctness on the test
/// split. The references are the prior (no quiz) and the "full" identity fitted on all the model's train
/// answers against the same frozen prompt side.
/// </summary>
public static class OnboardingStudy
{
    /// <param name="train">Prompts to fit the identity model on and to quiz from.</param>
    /// <param name="test">Prompts the held-out models are scored on: the test split, or a validation slice of train when choosing settings.</param>
    public static OnboardingStudyResult Run(
        RoutingTable train, RoutingTable test, IReadOnlyList<int> budgets, int seeds, IrtFitOptions irtOptions, IReadOnlyList<int> dimensions, IReadOnlyList<string>? heldOut = null)
    {
        if (seeds < 1) throw new ArgumentOutOfRangeException(nameof(seeds), seeds, "the study needs at least one seed");
        if (train.PromptCount == 0 || test.PromptCount == 0)
            throw new ArgumentException($"{train.Source}: needs prompts to fit on and to score on (has {train.PromptCount} and {test.PromptCount})");
        var held = heldOut ?? ChooseHeldOut(train);
        foreach (var m in held) train.ModelIndex(m);
        var rest = train.SelectModels(train.Models.Select(c => c.Name).Where(n => !held.Contains(n)));
        if (rest.ModelCount < 2) throw new ArgumentException($"{train.Source}: holding out {held.Count} models leaves {rest.ModelCount} to fit identities on; need at least 2");

        var encoder = HashedTfidfEncoder.Fit(train.Prompts.Select(p => p.Text));
        var (chosen, _) = IdentityModelSelection.ChooseIrt(rest, encoder, irtOptions, dimensions);
        var irt = IrtModel.Fit(rest, encoder, chosen);
        var testItems = test.Prompts.Select(p => irt.Items.ItemOfFeatures(encoder.Encode(p.Text))).ToArray();
        var heldIndex = held.Select(test.ModelIndex).ToArray();
        var oracles = held.Select(m => new RecordedQuizOracle(train, m)).ToArray();
        foreach (var (oracle, budget) in oracles.SelectMany(o => budgets.Select(b => (o, b))))
            if (budget < 1 || budget > oracle.Questions.Count)
                throw new ArgumentOutOfRangeException(nameof(budgets), budget, $"quiz budget for '{oracle.Model}' must be between 1 and the {oracle.Questions.Count} questions available");

        var full = oracles.Select(o => Onboarding.FitAll(irt.Items, o.Model, o.Questions.Select(q => (q, o.Ask(q))), new Random(irtOptions.Seed))).ToArray();
        var prior = held.Select(irt.Items.Population.Unquizzed).ToArray();

        var rows = new List<OnboardingStudyRow> { Row("prior", 0, [prior], 0) };
        foreach (var budget in budgets)
            foreach (var selector in QuizSelectors.All)
            {
                var clock = Stopwatch.StartNew();
                var runs = Enumerable.Range(1, seeds)
                    .Select(seed => oracles.Select(o => Onboarding.Run(irt.Items, o, budget, selector, seed).Identity).ToArray())
                    .ToArray();
                rows.Add(Row(selector.Name, budget, runs, clock.Elapsed.TotalMilliseconds / (seeds * oracles.Length)));
            }
        rows.Add(Row("full", oracles.Min(o => o.Questions.Count), [full], 0));
        return new OnboardingStudyResult(held, chosen, rest.ModelCount, rows);

        OnboardingStudyRow Row(string selector, int budget, ModelIdentity[][] runs, double milliseconds)
        {
            var metrics = runs.Select(identities => CorrectnessMetrics.Evaluate(test, p =>
            {
                var probabilities = new double[test.ModelCount];
                for (var h = 0; h < identities.Length; h++) probabilities[heldIndex[h]] = testItems[p].Probability(identities[h]);
                return probabilities;
            }, heldIndex)).ToArray();
            var ll = metrics.Select(m => m.LogLikelihood).ToArray();
            var sd = ll.Length > 1 ? Math.Sqrt(ll.Sum(x => (x - ll.Average()) * (x - ll.Average())) / (ll.Length - 1)) : 0;
            var distance = runs.SelectMany(identities => identities.Select((id, h) => Distance(id.Mean, full[h].Mean))).Average();
            return new OnboardingStudyRow(selector, budget, ll.Average(), sd, metrics.Average(m => m.Auc), metrics.Average(m => m.MacroAuc), distance, milliseconds);
        }
    }

    /// <summary>
    /// A spread of models to hold out: the strongest, the weakest, the cheapest and the most expensive by train
    /// mean score and cost, skipping repeats and models whose scores never vary (nothing to learn about them).
    /// </summary>
    public static IReadOnlyList<string> ChooseHeldOut(RoutingTable train)
    {
        var stats = TableStatistics.Of(train).Models.Where(m => Varies(train, m.Model)).ToArray();
        var chosen = new List<string>();
        foreach (var order in new Func<IEnumerable<ModelStatistics>, IEnumerable<ModelStatistics>>[]
                 {
                     s => s.OrderByDescending(m => m.MeanScore),
                     s => s.OrderBy(m => m.MeanScore),
                     s => s.OrderBy(m => m.MeanCostUsd),
                     s => s.OrderByDescending(m => m.MeanCostUsd),
                 })
        {
            var next = order(stats).Select(m => m.Model).FirstOrDefault(m => !chosen.Contains(m));
            if (next is not null) chosen.Add(next);
        }
        return chosen;
    }

    private static bool Varies(RoutingTable table, string model)
    {
        var m = table.ModelIndex(model);
        var scores = Enumerable.Range(0, table.PromptCount).Where(p => table.Has(p, m)).Select(p => table.Score(p, m)).ToArray();
        return scores.Length > 1 && scores.Any(s => s != scores[0]);
    }

    private static double Distance(float[] a, float[] b) => Math.Sqrt(a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Sum());
}

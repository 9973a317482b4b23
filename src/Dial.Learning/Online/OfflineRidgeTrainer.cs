using Dial.Data;

namespace Dial.Learning.Online;

/// <summary>
/// Trains a linear bandit offline with full information: it observes every recorded outcome of the training
/// table, as if each model had been chosen for each prompt. With epsilon-greedy at epsilon 0 (the default) the
/// result is a per-model ridge router, the offline reference the replay simulator compares online learners
/// with; with another kind it is a warm-started learner a gateway can keep training online.
/// </summary>
public sealed class OfflineRidgeTrainer(string kind = EpsilonGreedyRouter.KindName, double? exploration = 0, int components = 16, BanditOptions? options = null)
    : IRouterTrainer
{
    /// <summary>Not "ridge": that is the catalog's predict-then-optimise ridge router on the full TF-IDF features.</summary>
    public string Name => kind == EpsilonGreedyRouter.KindName && exploration == 0 ? EpsilonGreedyRouter.GreedyName : $"{kind}-warm";

    public IRouter Train(TrainingContext context) => Fit(context);

    public LinearBanditRouter Fit(TrainingContext context) => Fit(context, FitFeatures(context, components));

    /// <summary>Trains on features already fitted (so several routers can share them and their cached prompt vectors).</summary>
    public LinearBanditRouter Fit(TrainingContext context, PcaEncoder features)
    {
        var learner = OnlineLearnerFactory.Create(kind, features, context.Scale, options ?? new BanditOptions(Seed: context.Seed), exploration);
        ObserveAll(learner, context.Train);
        return learner;
    }

    /// <summary>The learners' features for a training context: its encoder projected on the train prompts' principal components.</summary>
    public static PcaEncoder FitFeatures(TrainingContext context, int components)
    {
        var texts = context.Train.Prompts.Select(p => p.Text).ToArray();
        if (texts.Length == 0) throw new ArgumentException($"{context.Train.Source}: no training prompts to fit on");
        return PcaEncoder.Fit(context.Encoder, texts, components, context.Seed);
    }

    /// <summary>Feeds <paramref name="learner"/> every recorded outcome of <paramref name="table"/>.</summary>
    public static void ObserveAll(IOnlineLearner learner, RoutingTable table)
    {
        for (var p = 0; p < table.PromptCount; p++)
        {
            var models = Enumerable.Range(0, table.ModelCount).Where(m => table.Has(p, m)).ToArray();
            if (models.Length == 0) continue;
            var request = new RoutingRequest(table.Prompts[p].Text, Preference.QualityOnly, models.Select(m => table.Models[m]).ToArray());
            foreach (var m in models) learner.Observe(request, table.Models[m].Name, table.Outcome(p, m)!.Value);
        }
    }
}

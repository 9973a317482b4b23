using Dial.Data;
using Dial.Features;
using Dial.Learning;
using Dial.Learning.Identity;
using Dial.Learning.Policy;
using Dial.Learning.Policy.Onboarded;

namespace Dial.Evaluation.Studies;

/// <summary>The leave-models-out study's figures.</summary>
/// <param name="TrainModels">Models the held-in policy and its identity model were trained on.</param>
/// <param name="QuizCopies">Quiz identities per held-in model, budget and selector the policy's training drew from (0: none; see <see cref="QuizIdentities"/>).</param>
/// <param name="IrtHeldIn">Identity model options chosen on train without the held-out models.</param>
/// <param name="IrtAll">Identity model options chosen on train with every model (the trained-on-everything reference).</param>
public sealed record LeaveModelsOutResult(
    string Source, IReadOnlyList<string> HeldOut, int TrainModels, IReadOnlyList<int> Seeds, int PolicyEpochs, int QuizCopies,
    IrtFitOptions IrtHeldIn, IrtFitOptions IrtAll, SingleModelResult BestSingle, IReadOnlyList<StudyRow> Rows, IReadOnlyList<QuizAdvantage> AdaptiveOverRandom);

/// <summary>
/// Adaptive minus random quiz auc at one budget, paired by seed: both onboard the same held-out models into the same
/// held-in policy and route the same test prompts, so the difference is the quiz's alone.
/// </summary>
/// <param name="Auc">Mean difference over seeds with its 95% Student-t interval.</param>
/// <param name="Wins">Seeds in which the adaptive quiz's auc was higher.</param>
public sealed record QuizAdvantage(int Budget, IReadOnlyList<double> PerSeed, Online.Interval Auc, int Wins);

/// <summary>
/// Routing models the policy never saw. Some models are held out of training (identities and policy); each is
/// onboarded from a quiz of its recorded answers on train prompts, then the policy routes the test split over
/// every model. Compared with the policy trained on everything, with random quizzes, with a policy that
/// knows only the new models' prices (the population's mean identity), and with one that onboards them from all
/// their train answers (the most a quiz from that pool can give).
/// </summary>
public static class LeaveModelsOutStudy
{
    public const string Everything = "trained-on-everything";
    public const string PriceOnly = "price-only";
    public const string AllAnswers = "all-answers";

    public static LeaveModelsOutResult Run(
        RoutingTable table, IReadOnlyList<string>? heldOut, IReadOnlyList<int> budgets, IReadOnlyList<int> seeds, StudySettings settings, TextWriter? log = null,
        int quizCopies = IdentityPolicy.DefaultQuizCopies, IQuizSelector? adaptive = null)
    {
        if (seeds.Count == 0) throw new ArgumentException("the study needs at least one seed");
        if (budgets.Count == 0 || budgets.Any(b => b < 1)) throw new ArgumentException("onboarding budgets must be positive prompt counts");
        var train = table.Where(Split.Train);
        var held = heldOut is { Count: > 0 } ? heldOut : OnboardingStudy.ChooseHeldOut(train);
        foreach (var m in held) train.ModelIndex(m);
        var heldInNames = train.Models.Select(m => m.Name).Where(m => !held.Contains(m)).ToArray();
        if (heldInNames.Length < 2) throw new ArgumentException($"{table.Source}: holding out {held.Count} models leaves {heldInNames.Length} to train on; need at least 2");
        var heldIn = train.SelectModels(heldInNames);

        // The identity models see only train prompts; their encoder is the one the harness fits on the same prompts.
        var encoder = HashedTfidfEncoder.Fit(train.Prompts.Select(p => p.Text), settings.Evaluation.EncoderDimension);
        var (irtInOptions, _) = IdentityModelSelection.ChooseIrt(heldIn, encoder, settings.Irt, settings.IrtDimensions);
        var irtIn = IrtModel.Fit(heldIn, encoder, irtInOptions);
        var (irtAllOptions, _) = IdentityModelSelection.ChooseIrt(train, encoder, settings.Irt, settings.IrtDimensions);
        var irtAll = IrtModel.Fit(train, encoder, irtAllOptions);
        log?.WriteLine($"held out: {string.Join(", ", held)}; identities dim {irtInOptions.Dimension} ({irtInOptions.Epochs} epochs) without them, dim {irtAllOptions.Dimension} with them");

        var selectors = new[] { adaptive ?? QuizSelectors.Default, QuizSelectors.Parse("random") };
        var names = new List<(string Name, int? Budget)> { (Everything, null), (PriceOnly, null), (AllAnswers, null) };
        foreach (var b in budgets)
            foreach (var s in selectors) names.Add((s.Name, b));

        var metrics = names.Select(_ => new List<CurveMetrics>()).ToArray();
        EvaluationResult? last = null;
        foreach (var seed in seeds)
        {
            // The held-out models' prices must not set the reward scale of a policy that never saw them.
            var heldInFit = new SharedFit<IdentityPolicy>(c => TrainHeldIn(c, heldInNames, irtIn, settings.Policy, quizCopies));
            var trainers = new List<IRouterTrainer>
            {
                new DelegateTrainer(Everything, c => IdentityPolicy.Train(c, irtAll, Feedback.Bandit, settings.Policy, quizCopies).Policy),
                new DelegateTrainer(PriceOnly, c => heldInFit.Get(c).PriceOnly(c.Train, held)),
                new DelegateTrainer(AllAnswers, c => heldInFit.Get(c).OnboardFromAll(c.Train, held, c.Seed)),
            };
            foreach (var (name, budget) in names.Skip(3))
            {
                var selector = selectors.Single(s => s.Name == name);
                trainers.Add(new DelegateTrainer($"{name}-{budget}", c => heldInFit.Get(c).Onboard(c.Train, held, budget!.Value, selector, c.Seed)));
            }
            last = EvaluationHarness.Run(table, trainers, settings.Evaluation with { Seed = seed }, log);
            for (var i = 0; i < names.Count; i++) metrics[i].Add(last.Routers[i].Metrics);
        }
        var rows = names.Select((n, i) => StudyRow.Of(n.Name, n.Budget, metrics[i])).ToArray();
        var advantages = budgets.Select(b =>
        {
            var adaptiveRuns = metrics[names.IndexOf((selectors[0].Name, b))];
            var randomRuns = metrics[names.IndexOf((selectors[1].Name, b))];
            // A seed whose curve has no auc on either side has no difference to pair.
            var perSeed = adaptiveRuns.Zip(randomRuns).Where(x => x.First.Auc is not null && x.Second.Auc is not null)
                .Select(x => x.First.Auc!.Value - x.Second.Auc!.Value).ToArray();
            var interval = perSeed.Length > 0 ? Online.Interval.Of(perSeed) : new Online.Interval(double.NaN, double.NaN, double.NaN);
            return new QuizAdvantage(b, perSeed, interval, perSeed.Count(d => d > 0));
        }).ToArray();
        return new LeaveModelsOutResult(table.Source, held, heldInNames.Length, seeds, settings.Policy.Epochs, quizCopies, irtInOptions, irtAllOptions, last!.BestSingle, rows, advantages);
    }

    /// <summary>The policy of the held-in models. The held-out models' prices must not set its reward scale.</summary>
    private static IdentityPolicy TrainHeldIn(TrainingContext context, IReadOnlyList<string> heldIn, IrtModel irt, PolicyOptions options, int quizCopies)
    {
        var train = context.Train.SelectModels(heldIn);
        return IdentityPolicy.Train(context with { Train = train, Scale = RewardScaleCalibration.Calibrate(train) }, irt, Feedback.Bandit, options, quizCopies);
    }
}

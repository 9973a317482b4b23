using Dial.Data;
using Dial.Features;
using Dial.Learning;
using Dial.Learning.Baselines;
using Dial.Learning.Identity;
using Dial.Learning.Policy;
using Dial.Learning.Policy.Ablations;
using Dial.Learning.Policy.Onboarded;
using Dial.Tests.Evaluation;

namespace Dial.Tests.Studies;

public sealed class OnboardedRoutingTests
{
    internal static readonly PolicyOptions TinyPolicy = new() { Epochs = 3, WarmStartEpochs = 2, Hidden = 16 };
    internal static readonly IrtFitOptions TinyIrt = new(Dimension: 2, Epochs: 5);

    private static readonly RoutingTable Table = SyntheticTables.Keyword(120);

    /// <summary>The training table without "scholar": the model every test here has to onboard.</summary>
    private static TrainingContext WithoutScholar()
    {
        var train = Table.Where(Split.Train).SelectModels(["coder", "generalist"]);
        return new TrainingContext(train, HashedTfidfEncoder.Fit(train.Prompts.Select(p => p.Text), 256), RewardScaleCalibration.Calibrate(train));
    }

    private static RoutingRequest HistoryQuestion() =>
        new(new Prompt("A history question: explain kings and wars, case 5."), Preference.FromCostWeight(0), Table.Models);

    [Fact]
    public void AnUnseenModelIsRoutableOnlyAfterOnboarding()
    {
        var context = WithoutScholar();
        var fitted = IdentityPolicy.Train(context, IrtModel.Fit(context.Train, context.Encoder, TinyIrt), Feedback.Bandit, TinyPolicy);

        var error = Assert.Throws<KeyNotFoundException>(() => fitted.Policy.Route(HistoryQuestion()));
        Assert.Contains("scholar", error.Message);

        var onboarded = fitted.Onboard(Table.Where(Split.Train), ["scholar"], budget: 8, QuizSelectors.Default, seed: 1);
        var decision = onboarded.Route(HistoryQuestion());
        Assert.Equal(3, decision.Candidates.Count);
        var scholar = decision.Candidates.Single(c => c.Model == "scholar");
        Assert.InRange(scholar.ExpectedQuality!.Value, 0, 1);
        Assert.Equal(1, decision.Candidates.Sum(c => c.Probability!.Value), 4);
    }

    [Fact]
    public void AnIdentityPolicyStartsFromItsItemModelAndKeepsItThroughAnEnsembleAFileAndOnboarding()
    {
        var context = WithoutScholar();
        var irt = IrtModel.Fit(context.Train, context.Encoder, TinyIrt);
        var ensemble = IdentityPolicy.Train(context, irt, Feedback.Bandit, TinyPolicy with { EnsembleSize = 2 }).Policy;
        Assert.Same(irt.Items, ensemble.Items);
        var policy = ensemble.Members[0];
        Assert.True(policy.Network.HasItemPrior);
        Assert.NotEqual(1f, policy.Network.ItemWeight!.Value[0]);

        var scholar = Table.Where(Split.Train).Models.Single(m => m.Name == "scholar");
        var onboarded = new IdentityTable([Onboarding.Run(irt.Items, new RecordedQuizOracle(Table.Where(Split.Train), "scholar"), 8, QuizSelectors.Default, seed: 1).Identity]);
        var path = Path.Combine(Path.GetTempPath(), $"dial-item-policy-{Guid.NewGuid():N}.dial");
        try
        {
            PolicyFile.Save(ensemble, path);
            var loaded = PolicyFile.Load(path);
            Assert.NotNull(loaded.Items);
            Assert.Equal(policy.Network.ItemWeight.Value, loaded.Members[0].Network.ItemWeight!.Value);
            var single = policy.WithModels([scholar], onboarded);
            var ofOne = new DialEnsemble(policy.Name, [single]);
            var (before, after) = (ensemble.WithModels([scholar], onboarded), loaded.WithModels([scholar], onboarded));
            foreach (var text in Table.Where(Split.Test).Prompts.Take(30).Select(p => p.Text))
            {
                RoutingRequest Request() => new(new Prompt(text), Preference.FromCostWeight(0.1), Table.Models);
                // The same q̂ bit for bit: the ensemble adds γ z as the policy does, and the reloaded item model gives the same z.
                Assert.Equal(single.Route(Request()).Candidates.Select(c => c.ExpectedQuality), ofOne.Route(Request()).Candidates.Select(c => c.ExpectedQuality));
                // Routed once, as in the gateway: neither the policy's features nor the item model's are left on the prompt.
                var fresh = Request();
                ofOne.Route(fresh);
                Assert.Null(fresh.Prompt.EncodedFeatures(irt.Items.Encoder));
                var (a, b) = (before.Route(Request()), after.Route(Request()));
                Assert.Equal(a.Model, b.Model);
                Assert.Equal(a.Candidates, b.Candidates);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AnItemModelNeedsIdentitiesOfItsDimension()
    {
        var context = WithoutScholar();
        var irt = IrtModel.Fit(context.Train, context.Encoder, TinyIrt);
        Assert.Contains("Identities", Assert.Throws<ArgumentException>((TinyPolicy with { Items = irt.Items }).Validate).Message);
        var learned = new DialPolicyTrainer(Feedback.Bandit, TinyPolicy with { EnsembleSize = 1 }).TrainPolicy(context);
        var error = Assert.Throws<ArgumentException>(() => new DialPolicy(learned.Name, learned.Encoder, learned.Scale, learned.Network, learned.Describer, learned.Models, irt.Items));
        Assert.Contains("item", error.Message);
    }

    [Fact]
    public void OnboardingTrainerQuizzesOnlyTheUnseenModelsWithinTheBudget()
    {
        var router = new OnboardingDialTrainer(Table.Where(Split.Train), budget: 5, policy: TinyPolicy, irt: TinyIrt, dimensions: [2]).Train(WithoutScholar());
        var policy = Assert.IsType<DialEnsemble>(router);
        Assert.Equal(["coder", "generalist", "scholar"], policy.Models.Select(m => m.Name));
        Assert.Equal(3, policy.Route(HistoryQuestion()).Candidates.Count);
    }

    [Fact]
    public void PriceOnlyDescribesTheNewModelByThePopulationMean()
    {
        var context = WithoutScholar();
        var fitted = IdentityPolicy.Train(context, IrtModel.Fit(context.Train, context.Encoder, TinyIrt), Feedback.Bandit, TinyPolicy);
        var policy = fitted.PriceOnly(Table, ["scholar"]);
        Assert.All(policy.Members, member =>
        {
            var row = member.Describer.Models.ToList().IndexOf("scholar");
            Assert.All(member.Describer.Vectors.Row(row).ToArray(), v => Assert.Equal(0f, v, 5));
        });
    }

    [Fact]
    public void QuizIdentitiesAreRefitsFromQuizzesOfEachBudgetAndSelector()
    {
        var context = WithoutScholar();
        var irt = IrtModel.Fit(context.Train, context.Encoder, TinyIrt);
        var variants = QuizIdentities.Sample(context.Train, irt.Items, copies: 2, seed: 1, budgets: [3, 6]);
        Assert.Equal(["coder", "generalist"], variants.Keys.Order());
        foreach (var (model, list) in variants)
        {
            // 2 budgets x 2 selectors (adaptive, random) x 2 copies, each from its own quiz of at most the budget.
            Assert.Equal(8, list.Count);
            Assert.Equal([3, 3, 3, 3, 6, 6, 6, 6], list.Select(v => v.Evidence));
            Assert.All(list, v => Assert.NotEqual(irt.Identities[model].Mean, v.Mean));
            Assert.True(list.Select(v => string.Join(",", v.Mean)).Distinct().Count() > 1, "every quiz gave the same identity");
        }
        Assert.Equal(variants["coder"].Select(v => v.Mean), QuizIdentities.Sample(context.Train, irt.Items, copies: 2, seed: 1, budgets: [3, 6])["coder"].Select(v => v.Mean));
    }

    [Fact]
    public void TrainingDescriptionsDrawQuizIdentitiesWhileRoutingUsesTheFittedOne()
    {
        var context = WithoutScholar();
        var irt = IrtModel.Fit(context.Train, context.Encoder, TinyIrt);
        var variants = QuizIdentities.Sample(context.Train, irt.Items, copies: 1, seed: 1, budgets: [4]);
        var names = context.Train.Models.Select(m => m.Name).ToArray();
        var training = CandidateDescriber.FromIdentities(irt.Identities, names, variants, new Random(2));
        var card = context.Train.Models[0];
        var allowed = variants[card.Name].Select(v => v.Mean).Append(irt.Identities[card.Name].Mean).Select(v => string.Join(",", v)).ToHashSet();
        var seen = new HashSet<string>();
        var descriptor = new float[training.Dimension];
        for (var i = 0; i < 200; i++)
        {
            training.Describe(card, descriptor);
            seen.Add(string.Join(",", descriptor[CandidateDescriber.PriceFeatures..]));
        }
        Assert.Equal(allowed, seen);

        var routing = training.ForRouting();
        for (var i = 0; i < 5; i++)
        {
            routing.Describe(card, descriptor);
            Assert.Equal(irt.Identities[card.Name].Mean, descriptor[CandidateDescriber.PriceFeatures..]);
        }
        var policy = IdentityPolicy.Train(context, irt, Feedback.Bandit, TinyPolicy, quizCopies: 1).Policy.Members[0];
        Assert.Equal(irt.Identities[card.Name].Mean, policy.Describer.Vectors.Row(0).ToArray());
        policy.Describer.Describe(card, descriptor);
        Assert.Equal(irt.Identities[card.Name].Mean, descriptor[CandidateDescriber.PriceFeatures..]);
    }

    [Fact]
    public void IdentityVariantsWithoutIdentitiesAreAnError()
    {
        var options = TinyPolicy with { IdentityVariants = new Dictionary<string, IReadOnlyList<ModelIdentity>>() };
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("Identities", error.Message);
    }

    [Fact]
    public void FixedHeadRouterCannotRouteAnUnseenModel()
    {
        var router = new MlpRouterTrainer(hidden: 8).Train(WithoutScholar());
        var error = Assert.Throws<ArgumentException>(() => router.Route(HistoryQuestion()));
        Assert.Contains("scholar", error.Message);
    }

    [Fact]
    public void FixedTradeOffSamplerStaysAtItsWeight()
    {
        var sampler = FixedTradeOff.Sampler(0.2);
        var random = new Random(3);
        for (var i = 0; i < 200; i++)
        {
            var w = sampler.Sample(random, latency: true);
            Assert.Equal(0.2, w.Cost, 2);
            Assert.Equal(0.8, w.Quality, 2);
            Assert.True(w.Latency < 1e-3);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => FixedTradeOff.Sampler(0));
    }

    [Fact]
    public void FixedTradeOffWeightsRiseWithinTheOpenInterval()
    {
        var weights = FixedTradeOff.Weights(7);
        Assert.Equal(7, weights.Length);
        Assert.All(weights, w => Assert.InRange(w, 1e-4, 0.95));
        Assert.True(weights.Zip(weights.Skip(1)).All(p => p.First < p.Second));
    }
}

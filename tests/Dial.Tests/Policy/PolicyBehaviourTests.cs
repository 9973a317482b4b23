using Dial.Learning.Identity;
using Dial.Learning.Policy;

namespace Dial.Tests.Policy;

public sealed class PolicyBehaviourTests(TrainedPolicyFixture fixture) : IClassFixture<TrainedPolicyFixture>
{
    private DialPolicy Policy => fixture.Policy;

    private RoutingDecision Route(Prompt prompt, double costWeight, IReadOnlyList<ModelCard>? candidates = null) =>
        Policy.Route(new RoutingRequest(prompt, Preference.FromCostWeight(costWeight), candidates ?? fixture.Models));

    [Fact]
    public void RaisingTheCostWeightNeverRaisesTheExpectedCostOfTheChosenModels()
    {
        var weights = Enumerable.Range(0, 41).Select(i => i / 40.0).ToArray();
        var previousPerPrompt = new double[fixture.Prompts.Length];
        Array.Fill(previousPerPrompt, double.PositiveInfinity);
        var totals = new List<double>();
        foreach (var w in weights)
        {
            double total = 0;
            for (var p = 0; p < fixture.Prompts.Length; p++)
            {
                var cost = Route(fixture.Prompts[p], w).Chosen.ExpectedCostUsd!.Value;
                Assert.True(cost <= previousPerPrompt[p], $"prompt {p}: expected cost rose from {previousPerPrompt[p]} to {cost} at cost weight {w}");
                previousPerPrompt[p] = cost;
                total += cost;
            }
            totals.Add(total);
        }
        Assert.True(totals[0] > 2 * totals[^1], $"the dial should move decisions: total expected cost {totals[0]} at weight 0, {totals[^1]} at weight 1");
    }

    [Fact]
    public void CostWeightZeroPicksTheHighestPredictedQuality()
    {
        foreach (var prompt in fixture.Prompts)
        {
            var decision = Route(prompt, 0);
            Assert.Equal(decision.Candidates.Max(c => c.ExpectedQuality!.Value), decision.Chosen.ExpectedQuality!.Value);
        }
    }

    [Fact]
    public void ReorderingCandidatesLeavesDecisionsAndProbabilitiesUnchanged()
    {
        var random = new Random(3);
        foreach (var prompt in fixture.Prompts.Take(40))
        {
            var w = random.NextDouble() * 0.3;
            var original = Route(prompt, w);
            var shuffled = fixture.Models.ToArray();
            random.Shuffle(shuffled);
            var reordered = Route(prompt, w, shuffled);
            Assert.Equal(original.Model, reordered.Model);
            foreach (var c in original.Candidates)
                Assert.Equal(c.Probability!.Value, reordered.Candidates.Single(r => r.Model == c.Model).Probability!.Value, 1e-6);
        }
    }

    [Fact]
    public void RemovingACandidateOnlyRedistributesItsProbability()
    {
        foreach (var prompt in fixture.Prompts.Take(30))
        {
            var full = Route(prompt, 0.1);
            var removed = full.Model;
            var reduced = Route(prompt, 0.1, fixture.Models.Where(m => m.Name != removed).ToArray());
            Assert.DoesNotContain(reduced.Candidates, c => c.Model == removed);
            Assert.Equal(1.0, reduced.Candidates.Sum(c => c.Probability!.Value), 4);
            var pairs = reduced.Candidates.Zip(reduced.Candidates.Skip(1));
            foreach (var (a, b) in pairs)
            {
                var before = Probability(full, a.Model) / Probability(full, b.Model);
                var after = a.Probability!.Value / b.Probability!.Value;
                Assert.Equal(1.0, after / before, 3);
            }
        }
    }

    [Fact]
    public void TheTrainedPolicyPrefersStrongModelsAtZeroCostWeightAndCheapOnesAtOne()
    {
        double Mean(Func<int, RoutingDecision> route, Func<int, int, double> value) =>
            Enumerable.Range(0, fixture.Prompts.Length).Average(p => value(p, fixture.Test.ModelIndex(route(p).Model)));
        var meanModelQuality = Enumerable.Range(0, fixture.Test.ModelCount)
            .Average(m => Enumerable.Range(0, fixture.Test.PromptCount).Where(p => fixture.Test.Has(p, m)).Average(p => fixture.Test.Score(p, m)));
        var qualityFirst = Mean(p => Route(fixture.Prompts[p], 0), fixture.Test.Score);
        Assert.True(qualityFirst > meanModelQuality + 0.05, $"quality at cost weight 0 is {qualityFirst:F3}, the average model's is {meanModelQuality:F3}");
        var cheap = Mean(p => Route(fixture.Prompts[p], 1), fixture.Test.Cost);
        var dear = Mean(p => Route(fixture.Prompts[p], 0), fixture.Test.Cost);
        Assert.True(cheap < dear / 2, $"mean cost at cost weight 1 is {cheap:G4}, at 0 {dear:G4}");
    }

    [Fact]
    public void TrainingIsDeterministicGivenTheSeed()
    {
        var options = TrainedPolicyFixture.SmallOptions with { Epochs = 2, WarmStartEpochs = 1 };
        var context = fixture.Context with { Train = fixture.Train.SelectPrompts(Enumerable.Range(0, 150)) };
        var a = new DialPolicyTrainer(Feedback.Bandit, options).TrainPolicy(context);
        var b = new DialPolicyTrainer(Feedback.Bandit, options).TrainPolicy(context);
        var c = new DialPolicyTrainer(Feedback.Bandit, options).TrainPolicy(context with { Seed = context.Seed + 1 });
        foreach (var (pa, pb) in a.Network.Parameters.Zip(b.Network.Parameters)) Assert.Equal(pa.Value, pb.Value);
        Assert.Equal(a.Describer.Vectors.Value, b.Describer.Vectors.Value);
        Assert.NotEqual(a.Network.Quality.Weight.Value, c.Network.Quality.Weight.Value);
    }

    [Fact]
    public void FullInformationTrainerIsNamedAndRoutes()
    {
        var options = TrainedPolicyFixture.SmallOptions with { Epochs = 2, WarmStartEpochs = 1 };
        var trainer = new DialPolicyTrainer(Feedback.Full, options);
        Assert.Equal("dial-full", trainer.Name);
        Assert.Equal("dial", new DialPolicyTrainer(Feedback.Bandit).Name);
        var policy = trainer.Train(fixture.Context with { Train = fixture.Train.SelectPrompts(Enumerable.Range(0, 150)) });
        var decision = policy.Route(new RoutingRequest(fixture.Prompts[0], Preference.QualityOnly, fixture.Models));
        Assert.Equal("dial-full", decision.Router);
        Assert.Equal(1.0, decision.Candidates.Sum(c => c.Probability!.Value), 4);
    }

    [Fact]
    public void IdentityVectorsPlugInAsDescriptors()
    {
        var random = new Random(2);
        var identities = new IdentityTable(fixture.Models.Select(m => new ModelIdentity(m.Name, [(float)random.NextDouble(), (float)random.NextDouble(), (float)random.NextDouble()], [0.1f, 0.1f, 0.1f], 50)));
        var options = TrainedPolicyFixture.SmallOptions with { Epochs = 2, WarmStartEpochs = 1, Identities = identities };
        var policy = new DialPolicyTrainer(Feedback.Bandit, options).TrainPolicy(fixture.Context with { Train = fixture.Train.SelectPrompts(Enumerable.Range(0, 150)) });
        Assert.False(policy.Describer.Trainable);
        Assert.Equal(CandidateDescriber.PriceFeatures + 3, policy.Describer.Dimension);
        Assert.Equal(identities[fixture.Models[0].Name].Mean, policy.Describer.Vectors.Row(0).ToArray());
        Assert.NotNull(policy.Route(new RoutingRequest(fixture.Prompts[0], Preference.FromCostWeight(0.2), fixture.Models)).Model);
    }

    [Fact]
    public void AModelHeldOutOfTrainingIsRoutedByItsIdentity()
    {
        // One-dimensional identities: each model's mean train score, centred. The held-out model is the strongest.
        var train = fixture.Train;
        float Ability(int m) => (float)(Enumerable.Range(0, train.PromptCount).Where(p => train.Has(p, m)).Average(p => train.Score(p, m)) - 0.7) * 5;
        var identities = new IdentityTable(Enumerable.Range(0, train.ModelCount).Select(m => new ModelIdentity(train.Models[m].Name, [Ability(m)], [0.1f], 100)));
        var strongest = Enumerable.Range(0, train.ModelCount).MaxBy(Ability);
        var weakest = Enumerable.Range(0, train.ModelCount).MinBy(Ability);
        var seen = train.Models.Where((_, m) => m != strongest).Select(c => c.Name).ToArray();
        var options = TrainedPolicyFixture.SmallOptions with { Identities = identities };
        var policy = new DialPolicyTrainer(Feedback.Bandit, options).TrainPolicy(fixture.Context with { Train = train.SelectModels(seen) });
        var newcomer = train.Models[strongest];
        Assert.Throws<KeyNotFoundException>(() => policy.Route(new RoutingRequest(fixture.Prompts[0], Preference.QualityOnly, [newcomer])));

        var onboarded = policy.WithModels([newcomer], identities);
        var predicted = new Dictionary<string, double>();
        foreach (var prompt in fixture.Prompts)
            foreach (var c in onboarded.Route(new RoutingRequest(prompt, Preference.QualityOnly, fixture.Models)).Candidates)
                predicted[c.Model] = predicted.GetValueOrDefault(c.Model) + c.ExpectedQuality!.Value / fixture.Prompts.Length;
        Assert.True(predicted[newcomer.Name] > predicted[train.Models[weakest].Name],
            $"held-out strongest model predicted {predicted[newcomer.Name]:F3}, weakest seen model {predicted[train.Models[weakest].Name]:F3}");
        Assert.Throws<ArgumentException>(() => fixture.Policy.WithModels([newcomer], identities));
    }

    [Fact]
    public void AnUnknownCandidateIsAClearError()
    {
        var stranger = new ModelCard("stranger-7b", "nowhere", 1, 1);
        var e = Assert.Throws<KeyNotFoundException>(() => Route(fixture.Prompts[0], 0.2, [fixture.Models[0], stranger]));
        Assert.Contains("stranger-7b", e.Message);
    }

    [Fact]
    public void ExploringEpisodesDrawFromTheMixtureAndTheirWeightsRecoverThePolicysExpectation()
    {
        float[] policy = [0.9f, 0.09f, 0.01f];
        const double exploration = 0.1;
        const int draws = 200_000;
        var random = new Random(5);
        var counts = new double[policy.Length];
        var weighted = new double[policy.Length];
        for (var i = 0; i < draws; i++)
        {
            var (arm, weight) = DialPolicyTrainer.SampleExploring(policy, exploration, random);
            counts[arm]++;
            weighted[arm] += weight;
        }
        for (var k = 0; k < policy.Length; k++)
        {
            // Drawn from μ = 0.9 π + 0.1 / 3; the weighted frequency estimates π itself.
            Assert.Equal((1 - exploration) * policy[k] + exploration / policy.Length, counts[k] / draws, 2);
            Assert.Equal(policy[k], weighted[k] / draws, 2);
        }
        // The rarely chosen arm is now observed about four times as often as π alone would.
        Assert.True(counts[2] / draws > 3 * policy[2]);
        // Without exploration every arm comes from π with weight 1.
        Assert.All(Enumerable.Range(0, 100), _ => Assert.Equal(1f, DialPolicyTrainer.SampleExploring(policy, 0, random).Weight));
    }

    private static double Probability(RoutingDecision decision, string model) => decision.Candidates.Single(c => c.Model == model).Probability!.Value;
}

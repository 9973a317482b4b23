using Dial.Features;
using Dial.Learning;
using Dial.Learning.Policy;

namespace Dial.Tests.Policy;

public sealed class PolicyEnsembleTests(TrainedPolicyFixture fixture) : IClassFixture<TrainedPolicyFixture>
{
    private static readonly PolicyOptions Tiny = TrainedPolicyFixture.SmallOptions with { Epochs = 2, WarmStartEpochs = 1 };

    private TrainingContext SmallContext => fixture.Context with { Train = fixture.Train.SelectPrompts(Enumerable.Range(0, 150)) };

    private DialEnsemble Ensemble(int size) =>
        Assert.IsType<DialEnsemble>(new DialPolicyTrainer(Feedback.Bandit, Tiny with { EnsembleSize = size }).Train(SmallContext));

    [Fact]
    public void APromptEncodedInScratchPredictsExactlyAsOneCarryingItsFeatures()
    {
        var ensemble = fixture.Ensemble;
        foreach (var source in fixture.Prompts.Take(20))
        {
            var fresh = new Prompt(source.Text);
            var encoded = new Prompt(source.Text);
            encoded.Features(ensemble.Encoder);
            var uncached = ensemble.Predict(fresh, fixture.Models);
            Assert.Null(fresh.EncodedFeatures(ensemble.Encoder));
            var cached = ensemble.Predict(encoded, fixture.Models);
            Assert.Equal(cached.Quality, uncached.Quality);
            Assert.Equal(cached.Cost, uncached.Cost);
        }
    }

    [Fact]
    public void EachCandidatesPredictionsAreTheMembersMeans()
    {
        var ensemble = Ensemble(3);
        Assert.Equal(3, ensemble.Members.Count);
        Assert.Equal("dial", ensemble.Name);
        var request = new RoutingRequest(fixture.Prompts[0], Preference.FromCostWeight(0.05), fixture.Models);
        var decision = ensemble.Route(request);
        var members = ensemble.Members.Select(m => m.Route(request)).ToArray();
        foreach (var c in decision.Candidates)
        {
            Assert.Equal(members.Average(d => d.Candidates.Single(x => x.Model == c.Model).ExpectedQuality!.Value), c.ExpectedQuality!.Value, 5);
            Assert.Equal(members.Average(d => d.Candidates.Single(x => x.Model == c.Model).ExpectedCostUsd!.Value), c.ExpectedCostUsd!.Value, 9);
        }
        Assert.Equal(decision.Candidates.Max(c => c.Utility), decision.Chosen.Utility);
        Assert.Equal(1.0, decision.Candidates.Sum(c => c.Probability!.Value), 4);
    }

    [Fact]
    public void MemberCheckScoresEachMembersQualityOnlyChoicesAndFlagsOneFarBelowItsSiblings()
    {
        var ensemble = Ensemble(3);
        var table = SmallContext.Train;
        var check = MemberCheck.Run(ensemble, table);
        Assert.Equal(3, check.Members.Count);
        // Every figure lies between always taking a prompt's worst answer and its best (the oracle).
        var rows = Enumerable.Range(0, table.PromptCount)
            .Select(p => Enumerable.Range(0, table.ModelCount).Where(m => table.Has(p, m)).Select(m => table.Score(p, m)).ToArray())
            .Where(s => s.Length > 0).ToArray();
        var (worst, best) = (rows.Average(s => s.Min()), rows.Average(s => s.Max()));
        Assert.All(check.Members.Append(check.Ensemble), q => Assert.InRange(q, worst, best));
        // Member 1's own choices, scored here from its decisions, give its figure.
        var member = ensemble.Members[1];
        var own = Enumerable.Range(0, table.PromptCount).Where(p => Enumerable.Range(0, table.ModelCount).Any(m => table.Has(p, m))).Average(p =>
        {
            var cards = Enumerable.Range(0, table.ModelCount).Where(m => table.Has(p, m)).Select(m => table.Models[m]).ToArray();
            var chosen = member.Route(new RoutingRequest(new Prompt(table.Prompts[p].Text), Preference.QualityOnly, cards)).Model;
            return table.Score(p, table.ModelIndex(chosen));
        });
        Assert.Equal(own, check.Members[1], 9);

        Assert.Equal([2], new MemberCheck(0.891, [0.884, 0.896, 0.847]).Diverged);
        Assert.Empty(new MemberCheck(0.891, [0.884, 0.892, 0.893]).Diverged);
    }

    [Fact]
    public void MemberZeroIsThePolicyTrainedWithTheContextsSeedAndMembersDiffer()
    {
        var ensemble = Ensemble(2);
        var single = new DialPolicyTrainer(Feedback.Bandit, Tiny).TrainPolicy(SmallContext);
        Assert.Equal(single.Network.Quality.Weight.Value, ensemble.Members[0].Network.Quality.Weight.Value);
        Assert.NotEqual(ensemble.Members[0].Network.Quality.Weight.Value, ensemble.Members[1].Network.Quality.Weight.Value);
        Assert.IsType<DialPolicy>(new DialPolicyTrainer(Feedback.Bandit, Tiny).Train(SmallContext));
    }

    [Fact]
    public void TheEnsembleDialIsMonotoneAndIndependentOfCandidateOrder()
    {
        var ensemble = Ensemble(3);
        var random = new Random(4);
        foreach (var prompt in fixture.Prompts.Take(30))
        {
            var previous = double.PositiveInfinity;
            for (var i = 0; i <= 20; i++)
            {
                var cost = ensemble.Route(new RoutingRequest(prompt, Preference.FromCostWeight(i / 20.0), fixture.Models)).Chosen.ExpectedCostUsd!.Value;
                Assert.True(cost <= previous, $"expected cost rose from {previous} to {cost} at cost weight {i / 20.0}");
                previous = cost;
            }
            var shuffled = fixture.Models.ToArray();
            random.Shuffle(shuffled);
            var w = Preference.FromCostWeight(random.NextDouble() * 0.2);
            var original = ensemble.Route(new RoutingRequest(prompt, w, fixture.Models));
            var reordered = ensemble.Route(new RoutingRequest(prompt, w, shuffled));
            Assert.Equal(original.Model, reordered.Model);
            var reduced = ensemble.Route(new RoutingRequest(prompt, w, fixture.Models.Where(m => m.Name != original.Model).ToArray()));
            var (a, b) = (reduced.Candidates[0], reduced.Candidates[1]);
            var before = original.Candidates.Single(c => c.Model == a.Model).Probability!.Value / original.Candidates.Single(c => c.Model == b.Model).Probability!.Value;
            Assert.Equal(1.0, a.Probability!.Value / b.Probability!.Value / before, 3);
        }
    }

    [Fact]
    public void APolicyCanHaveItsOwnFeatureDimension()
    {
        var policy = new DialPolicyTrainer(Feedback.Bandit, Tiny with { FeatureDimension = 512 }).TrainPolicy(SmallContext);
        Assert.Equal(512, policy.Encoder.Dimension);
        Assert.Equal(512, policy.Network.Features);
        Assert.NotSame(SmallContext.Encoder, policy.Encoder);
        Assert.NotNull(policy.Route(new RoutingRequest(new Prompt("What is the capital of France?"), Preference.FromCostWeight(0.1), fixture.Models)).Model);
        Assert.Same(SmallContext.Encoder, new DialPolicyTrainer(Feedback.Bandit, Tiny).TrainPolicy(SmallContext).Encoder);
        var ensemble = Assert.IsType<DialEnsemble>(new DialPolicyTrainer(Feedback.Bandit, Tiny with { FeatureDimension = 512, EnsembleSize = 2 }).Train(SmallContext));
        Assert.Same(ensemble.Members[0].Encoder, ensemble.Members[1].Encoder);
    }

    [Fact]
    public void TheSparseProjectionEqualsTheDenseLayer()
    {
        var policy = fixture.Policy;
        var pass = new PolicyPass(policy.Network, fixture.Models.Count);
        var dense = new float[policy.Network.Hidden];
        foreach (var prompt in fixture.Prompts.Take(10))
        {
            policy.Score(pass, prompt, Preference.QualityOnly, fixture.Models);
            var features = prompt.Features(policy.Encoder);
            Assert.Contains(features.ToArray(), x => x == 0);
            policy.Network.Prompt.Forward(features, dense);
            for (var i = 0; i < dense.Length; i++) Assert.Equal(dense[i], pass.Projection[i], 4);
        }
    }

    [Theory]
    // 2 × (60 hidden + rank 20) = 160 floats per feature: register blocks of 112, 32 and 16.
    [InlineData(60, 20, 2, null)]
    // 3 × (50 + 20) = 210 floats, padded to 224: blocks of 112, 64, 32 and 16; 250 features, not a whole number of
    // eight-lane steps, so the gathering of non-zero features ends lane by lane.
    [InlineData(50, 20, 3, 250)]
    public void EachMembersShareOfTheRegisterBlockedProjectionIsItsOwnProjection(int hidden, int costRank, int ensembleSize, int? featureDimension)
    {
        var options = Tiny with { Hidden = hidden, CostRank = costRank, EnsembleSize = ensembleSize, FeatureDimension = featureDimension };
        var ensemble = Assert.IsType<DialEnsemble>(new DialPolicyTrainer(Feedback.Bandit, options).Train(SmallContext));
        foreach (var prompt in fixture.Prompts.Take(20))
        {
            var request = new RoutingRequest(prompt, Preference.FromCostWeight(0.1), fixture.Models);
            var decision = ensemble.Route(request);
            var members = ensemble.Members.Select(m => m.Route(request)).ToArray();
            foreach (var c in decision.Candidates)
            {
                double sum = 0, cost = 0;
                foreach (var m in members) sum += m.Candidates.Single(x => x.Model == c.Model).ExpectedQuality!.Value;
                foreach (var m in members) cost += m.Candidates.Single(x => x.Model == c.Model).ExpectedCostUsd!.Value;
                Assert.Equal(sum / members.Length, c.ExpectedQuality!.Value);
                // Each member's ĉ is bit-for-bit its own; only where the scale's USD factor is applied differs.
                Assert.Equal(cost / members.Length, c.ExpectedCostUsd!.Value, cost * 1e-12);
            }
        }
    }

    [Fact]
    public void CachedPredictionsServeEveryPreferenceAndAChangedCardIsPredictedAfresh()
    {
        var ensemble = fixture.Ensemble;
        var prompt = new Prompt(fixture.Prompts[3].Text);
        var candidates = fixture.Models;
        foreach (var w in new[] { 0, 0.01, 0.2, 1 })
        {
            var request = new RoutingRequest(prompt, Preference.FromCostWeight(w), candidates);
            var fresh = ensemble.Decide(request, ensemble.Predict(prompt, candidates));
            Assert.Equal(fresh, ensemble.Route(request), DecisionComparer.Instance);
        }
        // A price rise is a new card object: the cached predictions for the old card must not be used.
        var raised = candidates.Select(c => c with { InputUsdPerMTok = c.InputUsdPerMTok * 20 + 1 }).ToArray();
        var before = ensemble.Route(new RoutingRequest(prompt, Preference.FromCostWeight(0.2), candidates));
        var after = ensemble.Route(new RoutingRequest(prompt, Preference.FromCostWeight(0.2), raised));
        foreach (var c in after.Candidates)
            Assert.True(c.ExpectedCostUsd > before.Candidates.Single(x => x.Model == c.Model).ExpectedCostUsd, $"{c.Model}'s predicted cost did not rise with its price");
        var reordered = candidates.Reverse().ToArray();
        var again = ensemble.Route(new RoutingRequest(prompt, Preference.FromCostWeight(0.2), reordered));
        Assert.Equal(before.Model, again.Model);
        foreach (var c in again.Candidates) Assert.Equal(before.Candidates.Single(x => x.Model == c.Model).ExpectedQuality, c.ExpectedQuality);
        var e = Assert.Throws<ArgumentException>(() => ensemble.Decide(new RoutingRequest(prompt, Preference.QualityOnly, reordered), ensemble.Predict(prompt, candidates)));
        Assert.Contains("other candidates", e.Message);
    }

    /// <summary>Same choice, and every candidate's utility, predictions and probability equal.</summary>
    private sealed class DecisionComparer : IEqualityComparer<RoutingDecision>
    {
        public static readonly DecisionComparer Instance = new();

        public bool Equals(RoutingDecision? a, RoutingDecision? b) =>
            a is not null && b is not null && a.Model == b.Model && a.Candidates.SequenceEqual(b.Candidates);

        public int GetHashCode(RoutingDecision d) => d.Model.GetHashCode(StringComparison.Ordinal);
    }

    [Fact]
    public void OptionsRejectAnEmptyEnsembleAndATinyFeatureDimension()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DialPolicyTrainer(Feedback.Bandit, Tiny with { EnsembleSize = 0 }).Train(SmallContext));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DialPolicyTrainer(Feedback.Bandit, Tiny with { FeatureDimension = 0 }).Train(SmallContext));
    }
}

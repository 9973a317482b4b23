using Dial.Learning.Online;

namespace Dial.Tests.Online;

public class BanditLearnerTests
{
    private static readonly RewardScale Scale = new(0.01, 1000);
    private static readonly ModelCard[] Arms = [SyntheticContexts.Card("a"), SyntheticContexts.Card("b"), SyntheticContexts.Card("c")];

    /// <summary>Arm i's expected quality is 0.5 + 0.15 w_i . x on the signal dimensions: which arm is best depends on the prompt.</summary>
    private static readonly double[][] ArmWeights = [[1, 0, 0], [-0.5, 0.9, 0], [-0.5, -0.9, 0.3]];

    [Theory]
    [InlineData(LinUcbRouter.KindName)]
    [InlineData(LinearThompsonRouter.KindName)]
    public void ConvergesToTheBestArmOnASyntheticContextualProblem(string kind)
    {
        var contexts = new SyntheticContexts(400, seed: 11);
        var learner = OnlineLearnerFactory.Create(kind, contexts.Features, Scale, new BanditOptions(Seed: 5), exploration: 0.2);
        var random = new Random(12);
        var (early, late) = (0, 0);
        const int steps = 3000, measured = 500;
        for (var t = 0; t < steps; t++)
        {
            var prompt = contexts.Prompts[random.Next(contexts.Prompts.Count)];
            var request = new RoutingRequest(prompt, Preference.QualityOnly, Arms);
            var model = learner.Route(request).Model;
            var chosen = Array.FindIndex(Arms, a => a.Name == model);
            var x = contexts.Vector(prompt);
            var best = Enumerable.Range(0, Arms.Length).MaxBy(i => Mean(i, x));
            if (t < measured && chosen == best) early++;
            if (t >= steps - measured && chosen == best) late++;
            var quality = Math.Clamp(Mean(chosen, x) + 0.1 * SyntheticContexts.Gaussian(random), 0, 1);
            learner.Observe(request, Arms[chosen].Name, new Outcome(quality, 0.001));
        }
        Assert.True(late >= 0.85 * measured, $"{kind} picked the best arm in only {late} of the last {measured} requests");
        Assert.True(late > early, $"{kind} did not improve: {early} early vs {late} late");
    }

    [Fact]
    public void EpsilonGreedyExploresAtItsRate()
    {
        var contexts = new SyntheticContexts(200, seed: 21);
        const double epsilon = 0.3;
        var learner = new EpsilonGreedyRouter(contexts.Features, Scale, new BanditOptions(Seed: 9), epsilon);
        var two = Arms[..2];
        foreach (var prompt in contexts.Prompts)
        {
            var request = new RoutingRequest(prompt, Preference.QualityOnly, two);
            learner.Observe(request, "a", new Outcome(0.9, 0.001));
            learner.Observe(request, "b", new Outcome(0.1, 0.001));
        }
        const int routes = 6000;
        var explored = 0;
        for (var i = 0; i < routes; i++)
        {
            var decision = learner.Route(new RoutingRequest(contexts.Prompts[i % contexts.Prompts.Count], Preference.QualityOnly, two));
            if (decision.Model == "b") explored++;
            Assert.Equal(1 - epsilon / 2, decision.Candidates.Single(c => c.Model == "a").Probability!.Value, 12);
            Assert.Equal(epsilon / 2, decision.Candidates.Single(c => c.Model == "b").Probability!.Value, 12);
        }
        // Half the exploring draws land on the worse arm; 4 binomial standard deviations of slack.
        var rate = (double)explored / routes;
        Assert.InRange(rate, epsilon / 2 - 0.02, epsilon / 2 + 0.02);
    }

    [Fact]
    public void LinUcbReportsItsDeterministicChoiceWithProbabilityOne()
    {
        var contexts = new SyntheticContexts(50, seed: 22);
        var learner = new LinUcbRouter(contexts.Features, Scale, new BanditOptions(), alpha: 0.5);
        var decision = learner.Route(new RoutingRequest(contexts.Prompts[0], Preference.QualityOnly, Arms));
        Assert.Equal(1.0, decision.Chosen.Probability);
        Assert.Equal(0.0, decision.Candidates.Where(c => c.Model != decision.Model).Sum(c => c.Probability!.Value));
        Assert.Equal(decision.Model, decision.Ranked.First().Model);
    }

    [Fact]
    public void ThompsonSamplingReportsChoiceProbabilitiesThatSumToOneAndMatchHowOftenItChooses()
    {
        var contexts = new SyntheticContexts(100, seed: 24);
        var learner = new LinearThompsonRouter(contexts.Features, Scale, new BanditOptions(Seed: 4), posteriorScale: 0.3);
        // A few noisy observations each, "a" slightly better: every arm keeps a real chance of being drawn best.
        var random = new Random(25);
        foreach (var (arm, quality) in new[] { ("a", 0.6), ("b", 0.5), ("c", 0.45) })
            for (var i = 0; i < 4; i++)
            {
                var prompt = contexts.Prompts[random.Next(contexts.Prompts.Count)];
                learner.Observe(new RoutingRequest(prompt, Preference.QualityOnly, Arms), arm, new Outcome(quality + 0.1 * SyntheticContexts.Gaussian(random), 0.001));
            }
        var request = new RoutingRequest(contexts.Prompts[3], Preference.QualityOnly, Arms);
        const int routes = 4000;
        var chosen = new Dictionary<string, int>();
        var reported = new Dictionary<string, double>();
        for (var i = 0; i < routes; i++)
        {
            var decision = learner.Route(request);
            Assert.Equal(1.0, decision.Candidates.Sum(c => c.Probability!.Value), 12);
            Assert.True(decision.Chosen.Probability >= 1.0 / LinearThompsonRouter.PropensityDraws);
            chosen[decision.Model] = chosen.GetValueOrDefault(decision.Model) + 1;
            foreach (var c in decision.Candidates) reported[c.Model] = reported.GetValueOrDefault(c.Model) + c.Probability!.Value / routes;
        }
        Assert.True(chosen.Count(c => c.Value > 0.1 * routes) >= 2, $"too easy a case: choices {string.Join(", ", chosen)}");
        // Empirical frequencies have standard error <= 0.008 over 4000 routes; the mean reported probability adds
        // at most 1/256 of upward bias on the chosen arm and averages out the per-decision Monte Carlo noise.
        foreach (var arm in Arms)
            Assert.InRange(reported[arm.Name], (double)chosen.GetValueOrDefault(arm.Name) / routes - 0.03, (double)chosen.GetValueOrDefault(arm.Name) / routes + 0.03);
    }

    [Fact]
    public void ScalarisesLearnedQualityAndCostWithEachRequestsPreference()
    {
        // "a" is better and far dearer than "b": a quality-only request must get "a", a cost-heavy one "b", from one learner.
        var contexts = new SyntheticContexts(200, seed: 23);
        var learner = new EpsilonGreedyRouter(contexts.Features, Scale, new BanditOptions(), epsilon: 0);
        var two = Arms[..2];
        foreach (var prompt in contexts.Prompts)
        {
            var request = new RoutingRequest(prompt, Preference.QualityOnly, two);
            learner.Observe(request, "a", new Outcome(0.9, 0.02));
            learner.Observe(request, "b", new Outcome(0.6, 0.0001));
        }
        var probe = contexts.Prompts[7];
        Assert.Equal("a", learner.Route(new RoutingRequest(probe, Preference.QualityOnly, two)).Model);
        Assert.Equal("b", learner.Route(new RoutingRequest(probe, Preference.FromCostWeight(0.5), two)).Model);
        var scored = learner.Route(new RoutingRequest(probe, Preference.QualityOnly, two)).Candidates.Single(c => c.Model == "a");
        Assert.Equal(0.9, scored.ExpectedQuality!.Value, 2);
        Assert.Equal(0.02, scored.ExpectedCostUsd!.Value, 3);
    }

    [Fact]
    public void SlidingWindowAdaptsToDriftFasterThanNeverForgetting()
    {
        var contexts = new SyntheticContexts(300, seed: 31);
        var (forgetting, keeping) = (0, 0);
        foreach (var seed in new[] { 1, 2, 3 })
        {
            forgetting += RequestsToLeaveDriftedArm(new LinUcbRouter(contexts.Features, Scale, new BanditOptions(Window: 100, Seed: seed), 0.2), contexts, seed);
            keeping += RequestsToLeaveDriftedArm(new LinUcbRouter(contexts.Features, Scale, new BanditOptions(Seed: seed), 0.2), contexts, seed);
        }
        Assert.True(forgetting < keeping / 2, $"window 100 needed {forgetting} requests over 3 seeds, no forgetting {keeping}");
    }

    [Fact]
    public void ObserveRefusesAModelThatWasNotACandidateAndImpossibleOutcomes()
    {
        var contexts = new SyntheticContexts(50, seed: 41);
        var learner = new LinUcbRouter(contexts.Features, Scale, new BanditOptions(), 0.5);
        var request = new RoutingRequest(contexts.Prompts[0], Preference.QualityOnly, Arms[..2]);
        Assert.Contains("was not a candidate", Assert.Throws<ArgumentException>(() => learner.Observe(request, "c", new Outcome(0.5, 0.01))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => learner.Observe(request, "a", new Outcome(1.5, 0.01)));
        Assert.Throws<ArgumentOutOfRangeException>(() => learner.Observe(request, "a", new Outcome(0.5, -1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BanditOptions(Window: -1).Validate());
        Assert.Throws<ArgumentException>(() => new EpsilonGreedyRouter(contexts.Features, Scale, new BanditOptions(), 1.5));
        Assert.Contains("unknown online learner", Assert.Throws<ArgumentException>(() => OnlineLearnerFactory.Create("ucb2", contexts.Features, Scale, new BanditOptions())).Message);
        Assert.Empty(learner.ObservationCounts);
    }

    [Fact]
    public void RoutingRunsConcurrentlyWithObservingAndSeesEveryUpdateInOrder()
    {
        var contexts = new SyntheticContexts(100, seed: 51);
        var learner = new LinearThompsonRouter(contexts.Features, Scale, new BanditOptions(Window: 50), 0.3);
        const int observations = 3000;
        var done = 0;
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            long last = 0;
            var routed = 0;
            while (Volatile.Read(ref done) == 0 || routed == 0)
            {
                var decision = learner.Route(new RoutingRequest(contexts.Prompts[routed % 100], Preference.QualityOnly, Arms));
                Assert.Contains(decision.Model, Arms.Select(a => a.Name));
                var seen = learner.ObservationCounts.Values.Sum();
                Assert.True(seen >= last, "a reader saw the learner's state go back in time");
                last = seen;
                routed++;
            }
            return routed;
        })).ToArray();
        var random = new Random(52);
        for (var i = 0; i < observations; i++)
        {
            var request = new RoutingRequest(contexts.Prompts[i % 100], Preference.QualityOnly, Arms);
            learner.Observe(request, Arms[i % 3].Name, new Outcome(random.NextDouble(), 0.001));
        }
        Volatile.Write(ref done, 1);
        Assert.All(readers.Select(r => r.Result), routed => Assert.True(routed > 0));
        Assert.Equal(150, learner.ObservationCounts.Values.Sum()); // three arms, window 50 each
    }

    private static double Mean(int arm, float[] x) =>
        0.5 + 0.15 * Enumerable.Range(0, SyntheticContexts.Signal).Sum(j => ArmWeights[arm][j] * x[j]);

    /// <summary>
    /// Arm "a" is clearly best for 2000 requests, then worse than both others. Returns how many requests after
    /// the drift pass before "a" gets at most 10 of the last 100 (the cap if it never does).
    /// </summary>
    private static int RequestsToLeaveDriftedArm(LinearBanditRouter learner, SyntheticContexts contexts, int seed)
    {
        var random = new Random(seed);
        const int before = 2000, after = 2000;
        var recent = new Queue<bool>();
        for (var t = 0; t < before + after; t++)
        {
            var prompt = contexts.Prompts[random.Next(contexts.Prompts.Count)];
            var request = new RoutingRequest(prompt, Preference.QualityOnly, Arms);
            var chosen = learner.Route(request).Model;
            var mean = chosen switch { "a" => t < before ? 0.9 : 0.2, "b" => 0.6, _ => 0.5 };
            learner.Observe(request, chosen, new Outcome(Math.Clamp(mean + 0.05 * SyntheticContexts.Gaussian(random), 0, 1), 0.001));
            if (t < before) continue;
            recent.Enqueue(chosen == "a");
            if (recent.Count > 100) recent.Dequeue();
            if (recent.Count == 100 && recent.Count(x => x) <= 10) return t - before + 1;
        }
        return after;
    }
}

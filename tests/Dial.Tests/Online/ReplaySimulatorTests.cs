using Dial.Data;
using Dial.Evaluation.Online;
using Dial.Learning;
using Dial.Learning.Online;

namespace Dial.Tests.Online;

public class ReplaySimulatorTests
{
    /// <summary>Built once: fitting the encoder and the reference on RouterBench's train split takes a second or two.</summary>
    private static readonly Lazy<SimulationEnvironment> RouterBench = new(() => SimulationEnvironment.Build(BundledData.RouterBench, Split.Test, components: 8));

    [Fact]
    public void LearnerSeesOnlyTheOutcomeOfTheModelItChose()
    {
        var environment = RouterBench.Value;
        var spies = new List<SpyLearner>();
        var report = ReplaySimulator.Run(environment, [new LearnerSpec("spy", seed => { var s = new SpyLearner(seed); spies.Add(s); return s; })],
            new SimulationSettings(Steps: 400, Seeds: 2));

        Assert.Equal(2, spies.Count);
        var prompts = environment.Prompts.ToList();
        foreach (var spy in spies)
        {
            Assert.Equal(400, spy.Routed.Count);
            Assert.Equal(400, spy.Observed.Count);
            for (var t = 0; t < 400; t++)
            {
                var (request, model, outcome) = spy.Observed[t];
                Assert.Same(spy.Routed[t].Request, request);
                Assert.Equal(spy.Routed[t].Model, model);
                var p = prompts.IndexOf(request.Prompt);
                Assert.Equal(environment.Reveal(p, environment.ModelIndex(model), drift: null), outcome);
            }
        }
        Assert.Single(report.Learners);
        var final = report.Learners[0].Checkpoints[^1];
        Assert.Equal(400, final.Steps);
        // Regret against the oracle can never be negative: the oracle takes the best revealed outcome.
        Assert.True(final.Regret.Low >= 0);
    }

    [Fact]
    public void OfflineRidgeReferenceBeatsEverySingleModelOnTheTestSplit()
    {
        var environment = RouterBench.Value;
        var preference = Preference.FromCostWeight(0.1);
        double Utility(int p, int m)
        {
            var o = environment.Reveal(p, m, drift: null);
            return preference.Utility(o.Score, o.CostUsd, 0, environment.Scale);
        }
        // Only prompts every model answered, so each single model is averaged over the same prompts as the reference.
        var prompts = Enumerable.Range(0, environment.Prompts.Count).Where(p => environment.Candidates[p].Length == environment.Models.Count).ToArray();
        Assert.True(prompts.Length > 500);
        var reference = prompts.Average(p => Utility(p, environment.ModelIndex(
            environment.Reference.Route(new RoutingRequest(environment.Prompts[p], preference, environment.Candidates[p])).Model)));
        var bestSingle = Enumerable.Range(0, environment.Models.Count).Max(m => prompts.Average(p => Utility(p, m)));
        Assert.True(reference > bestSingle + 0.02, $"offline ridge {reference:F4} vs best single model {bestSingle:F4}");
    }

    [Fact]
    public void AnyTrainerCanBeTheOfflineReference()
    {
        var environment = SimulationEnvironment.Build(BundledData.AlpacaEval, Split.Test, components: 4, reference: new AlwaysFirstTrainer());
        var report = ReplaySimulator.Run(environment, [new LearnerSpec("spy", s => new SpyLearner(s))], new SimulationSettings(Steps: 50, Seeds: 1));
        var order = ReplaySimulator.RequestOrder(environment.Prompts.Count, 50, new Random(1));
        var preference = Preference.FromCostWeight(0.1);
        var expected = order.Average(p =>
        {
            var first = environment.Candidates[p].MinBy(c => c.Name, StringComparer.Ordinal)!;
            var o = environment.Reveal(p, environment.ModelIndex(first.Name), drift: null);
            return preference.Utility(o.Score, o.CostUsd, 0, environment.Scale);
        });
        Assert.Equal(expected, report.Baselines[^1].Reference.Mean, 12);
    }

    [Fact]
    public void StreamsWholeShuffledPassesWhenAskedForMoreRequestsThanPrompts()
    {
        var order = ReplaySimulator.RequestOrder(prompts: 7, steps: 23, new Random(1));
        for (var pass = 0; pass < 3; pass++)
            Assert.Equal(Enumerable.Range(0, 7), order.Skip(pass * 7).Take(7).Order());
        Assert.Equal(2, order.Skip(21).Distinct().Count());
    }

    [Fact]
    public void DriftReplacesTheBestModelsOutcomesAndLearnersReportAdaptation()
    {
        var environment = RouterBench.Value;
        var report = ReplaySimulator.Run(environment,
            [new LearnerSpec("egreedy-w50", seed => new EpsilonGreedyRouter(environment.Features, environment.Scale, new BanditOptions(Window: 50, Seed: seed), 0.05))],
            new SimulationSettings(Steps: 1200, Seeds: 1, Drift: true));
        Assert.Equal(600, report.DriftStart);
        Assert.NotEqual(report.DriftedModel, report.WeakModel);
        var drifted = environment.ModelIndex(report.DriftedModel!);
        var weak = environment.ModelIndex(report.WeakModel!);
        var scenario = new DriftScenario(drifted, weak, 600);
        var p = Enumerable.Range(0, environment.Prompts.Count).First(i => environment.Reveal(i, weak, null).Score != environment.Reveal(i, drifted, null).Score);
        Assert.Equal(environment.Reveal(p, weak, null).Score, environment.Reveal(p, drifted, scenario).Score);
        Assert.Equal(environment.Reveal(p, drifted, null).CostUsd, environment.Reveal(p, drifted, scenario).CostUsd);
        Assert.NotNull(report.Learners[0].Drift);
        Assert.Single(report.DriftedShareCurves);
    }

    [Fact]
    public void TimeToAdaptIsTheFirstTrailingWindowAtHalfThePreviousShare()
    {
        // Before the drift (at 200) model 1 takes every request; after it, 80 more, then never again.
        var chosen = Enumerable.Range(0, 600).Select(t => t < 280 ? 1 : 0).ToArray();
        var adaptation = DriftAdaptation.Measure([chosen], new DriftScenario(1, 0, 200), 600);
        Assert.Equal(1.0, adaptation.ShareBefore.Mean);
        Assert.Equal(1, adaptation.Adapted);
        // The trailing 100 requests [100 + tau, 200 + tau) hold 180 - tau of model 1's: half of its share before at tau = 130.
        Assert.Equal(130, adaptation.RequestsToAdapt!.Mean);

        var stubborn = Enumerable.Repeat(1, 600).ToArray();
        var never = DriftAdaptation.Measure([stubborn, chosen], new DriftScenario(1, 0, 200), 600);
        Assert.Equal(2, never.Applicable);
        Assert.Equal(1, never.Adapted);

        var unused = Enumerable.Repeat(0, 600).ToArray();
        Assert.Equal(0, DriftAdaptation.Measure([unused], new DriftScenario(1, 0, 200), 600).Applicable);
    }

    [Fact]
    public void BadSettingsAreRefusedWithTheOptionName()
    {
        Assert.Contains("--steps", Assert.Throws<ArgumentException>(() => new SimulationSettings(Steps: 0).Validate()).Message);
        Assert.Contains("--seeds", Assert.Throws<ArgumentException>(() => new SimulationSettings(Seeds: 0).Validate()).Message);
        Assert.Contains("--cost-weight", Assert.Throws<ArgumentException>(() => new SimulationSettings(CostWeight: 1.5).Validate()).Message);
        Assert.Contains("--drift", Assert.Throws<ArgumentException>(() => new SimulationSettings(Steps: 100, Drift: true).Validate()).Message);
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => ReplaySimulator.Run(RouterBench.Value,
            [new LearnerSpec("x", s => new SpyLearner(s)), new LearnerSpec("x", s => new SpyLearner(s))], new SimulationSettings(Steps: 10, Seeds: 1))).Message);
    }

    private sealed class AlwaysFirstTrainer : IRouterTrainer
    {
        public string Name => "always-first";

        public IRouter Train(TrainingContext context) => new AlwaysFirst();

        private sealed class AlwaysFirst : IRouter
        {
            public string Name => "always-first";

            public RoutingDecision Route(RoutingRequest request) =>
                RoutingDecision.ArgMax(Name, request.Candidates.Select(c => new CandidateScore(c.Name, 0)).ToArray());
        }
    }

    /// <summary>Chooses at random and records everything it is given.</summary>
    private sealed class SpyLearner(int seed) : IOnlineLearner
    {
        private readonly Random _random = new(seed);

        public List<(RoutingRequest Request, string Model)> Routed { get; } = [];

        public List<(RoutingRequest Request, string Model, Outcome Outcome)> Observed { get; } = [];

        public string Name => "spy";

        public RoutingDecision Route(RoutingRequest request)
        {
            var model = request.Candidates[_random.Next(request.Candidates.Count)].Name;
            Routed.Add((request, model));
            return RoutingDecision.ArgMax(Name, request.Candidates.Select(c => new CandidateScore(c.Name, c.Name == model ? 1 : 0)).ToArray());
        }

        public void Observe(RoutingRequest request, string model, Outcome outcome) => Observed.Add((request, model, outcome));

        public byte[] Snapshot() => [];
    }
}

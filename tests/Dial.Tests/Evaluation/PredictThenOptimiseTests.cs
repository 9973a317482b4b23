using Dial.Data;
using Dial.Evaluation;
using Dial.Features;
using Dial.Learning;
using Dial.Learning.Baselines;

namespace Dial.Tests.Evaluation;

public sealed class PredictThenOptimiseTests
{
    private static readonly ModelCard Cheap = new("cheap", "p", 0.1, 0.2);
    private static readonly ModelCard Dear = new("dear", "p", 10, 30);

    private static (IPredictThenOptimiseRouter Router, RoutingTable Test, TrainingContext Context) KnnOnRouterBench()
    {
        var table = BundledData.RouterBench;
        var train = table.Where(Split.Train);
        var context = new TrainingContext(train, HashedTfidfEncoder.Fit(train.Prompts.Select(p => p.Text)), RewardScaleCalibration.Calibrate(train));
        return ((IPredictThenOptimiseRouter)new KnnRouterTrainer().Train(context), table.Where(Split.Test), context);
    }

    /// <summary>The same router seen only through <see cref="IRouter"/>, so the sweep routes every request afresh.</summary>
    private sealed class RouteOnly(IRouter router) : IRouter
    {
        public string Name => router.Name;

        public RoutingDecision Route(RoutingRequest request) => router.Route(request);
    }

    [Fact]
    public void ASweepThatPredictsEachPromptOnceTracesTheCurveOfRoutingEveryRequest()
    {
        var (router, testTable, _) = KnnOnRouterBench();
        var test = new TestSet(testTable);
        double[] weights = [0, 0.001, 0.01, 0.1, 1];
        var bootstrap = new Bootstrap(test.Count, 20, seed: 1);
        var once = EvaluationHarness.Sweep(router, test, weights, bootstrap);
        var every = EvaluationHarness.Sweep(new RouteOnly(router), test, weights, bootstrap);
        Assert.Equal(every, once);
        Assert.True(once[0].Quality > once[^1].Quality, "the sweep should trade quality for cost across the weights");
    }

    [Fact]
    public void PredictionsDecideOnlyForTheExactCardsTheyWereMadeFor()
    {
        var (router, testTable, _) = KnnOnRouterBench();
        var prompt = new Prompt(testTable.Prompts[0].Text);
        var models = testTable.Models.ToArray();
        var predictions = router.Predict(prompt, models);
        var preference = Preference.FromCostWeight(0.01);
        Assert.Equal(router.Route(new RoutingRequest(prompt, preference, models)).Model, router.Decide(new RoutingRequest(prompt, preference, models), predictions).Model);

        var reordered = models.Reverse().ToArray();
        Assert.Throws<ArgumentException>(() => router.Decide(new RoutingRequest(prompt, preference, reordered), predictions));
        var repriced = models.Select((m, k) => k == 0 ? m with { InputUsdPerMTok = m.InputUsdPerMTok * 2 } : m).ToArray();
        Assert.Throws<ArgumentException>(() => router.Decide(new RoutingRequest(prompt, preference, repriced), predictions));
    }

    [Fact]
    public void APromptEncodesOncePerEncoder()
    {
        var (_, testTable, context) = KnnOnRouterBench();
        var other = HashedTfidfEncoder.Fit(testTable.Prompts.Select(p => p.Text), 64);
        var prompt = new Prompt(testTable.Prompts[0].Text);
        var features = prompt.Features(context.Encoder);
        var otherFeatures = prompt.Features(other);
        Assert.Same(features, prompt.Features(context.Encoder));
        Assert.Same(otherFeatures, prompt.Features(other));
        Assert.Equal(context.Encoder.Encode(prompt.Text), features);
        Assert.Equal(64, otherFeatures.Length);
    }

    [Fact]
    public void ABaselineRoutesAReorderedCandidateListWithEachModelsOwnPredictions()
    {
        var (router, testTable, context) = KnnOnRouterBench();
        var prompt = new Prompt(testTable.Prompts[0].Text);
        var preference = Preference.FromCostWeight(0.01);
        var models = context.Train.Models;
        var forward = router.Route(new RoutingRequest(prompt, preference, models));
        var backward = router.Route(new RoutingRequest(prompt, preference, models.Reverse().ToArray()));
        Assert.Equal(forward.Model, backward.Model);
        foreach (var c in forward.Candidates) Assert.Equal(c, backward.Candidates.Single(x => x.Model == c.Model));
        var e = Assert.Throws<ArgumentException>(() => router.Route(new RoutingRequest(prompt, preference, [Cheap])));
        Assert.Contains("was not trained on model 'cheap'", e.Message);
    }
}

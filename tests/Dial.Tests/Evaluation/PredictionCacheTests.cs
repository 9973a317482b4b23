using Dial.Data;
using Dial.Features;
using Dial.Learning;
using Dial.Learning.Baselines;

namespace Dial.Tests.Evaluation;

public sealed class PredictionCacheTests
{
    private static readonly ModelCard Cheap = new("cheap", "p", 0.1, 0.2);
    private static readonly ModelCard Dear = new("dear", "p", 10, 30);

    [Fact]
    public void APromptIsPredictedOncePerCandidateListAndAgainWhenACardOrTheOrderChanges()
    {
        var cache = new PredictionCache();
        var calls = 0;
        CandidatePredictions Predict(Prompt prompt, IReadOnlyList<ModelCard> candidates)
        {
            calls++;
            var p = new CandidatePredictions(candidates);
            for (var k = 0; k < candidates.Count; k++) (p.Quality[k], p.Cost[k]) = (prompt.Text.Length + k, candidates[k].InputUsdPerMTok);
            return p;
        }

        var prompt = new Prompt("hello");
        var first = cache.Get(prompt, [Cheap, Dear], Predict);
        Assert.Same(first, cache.Get(prompt, [Cheap, Dear], Predict));
        Assert.Equal(1, calls);

        var reordered = cache.Get(prompt, [Dear, Cheap], Predict);
        Assert.Equal(2, calls);
        Assert.Equal([10, 0.1], reordered.Cost);

        var repriced = cache.Get(prompt, [Dear with { InputUsdPerMTok = 20 }, Cheap], Predict);
        Assert.Equal(3, calls);
        Assert.Equal(20, repriced.Cost[0]);

        cache.Get(new Prompt("hello"), [Dear, Cheap], Predict);
        Assert.Equal(4, calls);
    }

    [Fact]
    public void ABaselineRoutesAReorderedCandidateListWithEachModelsOwnPredictions()
    {
        var table = BundledData.RouterBench;
        var train = table.Where(Split.Train);
        var context = new TrainingContext(train, HashedTfidfEncoder.Fit(train.Prompts.Select(p => p.Text)), RewardScaleCalibration.Calibrate(train));
        var router = new KnnRouterTrainer().Train(context);
        var prompt = new Prompt(table.Where(Split.Test).Prompts[0].Text);
        var preference = Preference.FromCostWeight(0.01);
        var forward = router.Route(new RoutingRequest(prompt, preference, train.Models));
        var backward = router.Route(new RoutingRequest(prompt, preference, train.Models.Reverse().ToArray()));
        Assert.Equal(forward.Model, backward.Model);
        foreach (var c in forward.Candidates) Assert.Equal(c, backward.Candidates.Single(x => x.Model == c.Model));
        var e = Assert.Throws<ArgumentException>(() => router.Route(new RoutingRequest(prompt, preference, [Cheap])));
        Assert.Contains("was not trained on model 'cheap'", e.Message);
    }
}

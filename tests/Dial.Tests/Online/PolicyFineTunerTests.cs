using Dial.Learning.Online;
using Dial.Tests.Policy;

namespace Dial.Tests.Online;

public sealed class PolicyFineTunerTests(TrainedPolicyFixture fixture) : IClassFixture<TrainedPolicyFixture>
{
    private RoutingRequest Request(int prompt) => new(fixture.Prompts[prompt], Preference.FromCostWeight(0.1), fixture.Models);

    private static double Quality(RoutingDecision decision, string model) => decision.Candidates.Single(c => c.Model == model).ExpectedQuality!.Value;

    [Fact]
    public void A_model_that_keeps_failing_loses_its_predicted_quality_and_its_traffic_while_the_offline_policy_stays_as_it_was()
    {
        var tuner = new PolicyFineTuner(fixture.Policy, epsilon: 0);
        var request = Request(0);
        var favourite = tuner.Route(request).Model;
        var offlineBefore = Quality(fixture.Policy.Route(request), favourite);
        var card = fixture.Models.Single(m => m.Name == favourite);

        for (var i = 0; i < 200 && tuner.Route(request).Model == favourite; i++)
            tuner.Observe(request, favourite, new Outcome(0, card.CostUsd(500, 200)));

        Assert.NotEqual(favourite, tuner.Route(request).Model);
        Assert.True(Quality(tuner.Route(request), favourite) < offlineBefore - 0.05);
        Assert.Equal(offlineBefore, Quality(fixture.Policy.Route(request), favourite));
    }

    [Fact]
    public void A_restored_fine_tuner_decides_exactly_as_the_original()
    {
        var tuner = new PolicyFineTuner(fixture.Policy, epsilon: 0.2, seed: 3);
        var random = new Random(4);
        for (var i = 0; i < 60; i++)
        {
            var request = Request(random.Next(fixture.Prompts.Length));
            var model = tuner.Route(request).Model;
            tuner.Observe(request, model, new Outcome(random.NextDouble(), 0.001));
        }

        var restored = PolicyFineTuner.Restore(tuner.Snapshot());

        Assert.Equal(60, restored.Updates);
        for (var p = 0; p < 30; p++)
        {
            var (a, b) = (tuner.Route(Request(p)), restored.Route(Request(p)));
            Assert.Equal(a.Model, b.Model);
            Assert.Equal(a.Candidates, b.Candidates);
        }
    }

    [Fact]
    public async Task Routing_goes_on_while_updates_are_applied()
    {
        var tuner = new PolicyFineTuner(fixture.Policy, epsilon: 0.1);
        var names = fixture.Models.Select(m => m.Name).ToHashSet();
        var learning = Task.Run(() =>
        {
            for (var i = 0; i < 100; i++) tuner.Observe(Request(i % 20), fixture.Models[i % fixture.Models.Count].Name, new Outcome(i % 2, 0.002));
        });
        var decisions = 0;
        while (!learning.IsCompleted || decisions < 100)
        {
            var decision = tuner.Route(Request(decisions % 20));
            Assert.Contains(decision.Model, names);
            Assert.All(decision.Candidates, c => Assert.True(double.IsFinite(c.Utility)));
            decisions++;
        }
        await learning;
        Assert.Equal(100, tuner.Updates);
    }

    [Fact]
    public void Observations_it_cannot_learn_from_are_refused_clearly()
    {
        var tuner = new PolicyFineTuner(fixture.Policy);
        var request = new RoutingRequest("a prompt", Preference.QualityOnly, [fixture.Models[0]]);

        var notCandidate = Assert.Throws<ArgumentException>(() => tuner.Observe(request, fixture.Models[1].Name, new Outcome(1, 0.01)));
        var badScore = Assert.Throws<ArgumentOutOfRangeException>(() => tuner.Observe(request, fixture.Models[0].Name, new Outcome(1.5, 0.01)));
        var damaged = Assert.Throws<InvalidDataException>(() => PolicyFineTuner.Restore(tuner.Snapshot()[..40]));

        Assert.Contains("was not a candidate", notCandidate.Message);
        Assert.Contains("score must be in [0, 1]", badScore.Message);
        Assert.Contains("truncated", damaged.Message);
        Assert.Equal(0, tuner.Updates);
    }
}

using Dial.Learning.Neural;
using Dial.Learning.Online;
using Dial.Learning.Policy;
using Dial.Tests.Policy;

namespace Dial.Tests.Online;

public sealed class PolicyFineTunerTests(TrainedPolicyFixture fixture) : IClassFixture<TrainedPolicyFixture>
{
    private RoutingRequest Request(int prompt) => new(fixture.Prompts[prompt], Preference.FromCostWeight(0.1), fixture.Models);

    private static double Quality(RoutingDecision decision, string model) => decision.Candidates.Single(c => c.Model == model).ExpectedQuality!.Value;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_model_that_starts_failing_everywhere_loses_its_traffic_and_predicted_quality_while_the_offline_policy_stays_as_it_was(bool promptWeights)
    {
        var tuner = new PolicyFineTuner(fixture.Ensemble, epsilon: 0, promptWeights: promptWeights);
        var requests = Enumerable.Range(0, 40).Select(Request).ToArray();
        var favourite = requests.Select(r => tuner.Route(r).Model).GroupBy(m => m).MaxBy(g => g.Count())!.Key;
        double Share() => requests.Count(r => tuner.Route(r).Model == favourite) / (double)requests.Length;
        var before = Share();
        var offlineQuality = requests.Select(r => Quality(fixture.Ensemble.Route(r), favourite)).ToArray();
        var card = fixture.Models.Single(m => m.Name == favourite);

        for (var round = 0; round < 30 && Share() > before / 2; round++)
            foreach (var request in requests.Where(r => tuner.Route(r).Model == favourite))
                tuner.Observe(request, favourite, new Outcome(0, card.CostUsd(500, 200)));

        Assert.True(Share() <= before / 2, $"the failing favourite kept {Share():P0} of the traffic (had {before:P0})");
        Assert.True(requests.Select((r, i) => offlineQuality[i] - Quality(tuner.Route(r), favourite)).Average() > 0.02);
        Assert.Equal(offlineQuality, requests.Select(r => Quality(fixture.Ensemble.Route(r), favourite)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_first_update_of_every_member_is_dense_Adams_step_and_touches_only_the_prompts_feature_columns(bool promptWeights)
    {
        var tuner = new PolicyFineTuner(fixture.Ensemble, epsilon: 0, learningRate: 1e-2f, promptWeights: promptWeights);
        var request = Request(3);
        var card = fixture.Models[2];
        var outcome = new Outcome(0.2, card.CostUsd(400, 300));
        var reference = CopyOf(fixture.Ensemble);
        var features = request.Prompt.Features(reference.Encoder);
        foreach (var member in reference.Members)
        {
            var pass = new PolicyPass(member.Network, 1);
            pass.Reset(1, request.Preference);
            member.Describer.Describe(card, pass.Descriptor(0));
            pass.Latency[0] = DialPolicy.NormalizedLatency(card, reference.Scale);
            member.Network.Forward(pass, features, DialPolicy.LogLength(request.Prompt.Text));
            new PolicyObjective(new PolicyOptions(), 1).WarmStart(member.Network, pass, features,
                [(float)outcome.Score], [(float)reference.Scale.NormalizeCost(outcome.CostUsd)], backward: true);
            // The tuner leaves the cost term's prompt weights U as trained (it backpropagates no features).
            new Adam(member.Network.Parameters.Where(p => p != member.Network.CostPrompt?.Weight), 1e-2f).Step();
        }

        tuner.Observe(request, card.Name, outcome);

        var tuned = tuner.CurrentPolicy();
        Assert.Equal(fixture.Ensemble.Members.Count, tuned.Members.Count);
        for (var m = 0; m < tuned.Members.Count; m++)
        {
            var (expected, actual, offline) = (reference.Members[m].Network, tuned.Members[m].Network, fixture.Ensemble.Members[m].Network);
            // Parameters[0] is W_x, which stays at its offline values when the prompt weights are not tuned.
            Assert.Equal((promptWeights ? expected : offline).Parameters[0].Value, actual.Parameters[0].Value);
            for (var p = 1; p < expected.Parameters.Count; p++) Assert.Equal(expected.Parameters[p].Value, actual.Parameters[p].Value);
            Assert.NotEqual(offline.Parameters[1].Value, actual.Parameters[1].Value);
            if (!promptWeights) continue;
            var changedColumns = Enumerable.Range(0, actual.Features)
                .Where(j => Enumerable.Range(0, actual.Hidden).Any(i => actual.Prompt.Weight.Row(i)[j] != offline.Prompt.Weight.Row(i)[j]))
                .ToArray();
            Assert.NotEmpty(changedColumns);
            Assert.All(changedColumns, j => Assert.NotEqual(0f, features[j]));
        }
    }

    [Fact]
    public void Both_copies_and_the_ensembles_stacked_prompt_weights_follow_every_update()
    {
        var tuner = new PolicyFineTuner(fixture.Ensemble, epsilon: 0, learningRate: 1e-2f);
        var random = new Random(8);
        var changed = 0;
        for (var update = 0; update < 6; update++)
        {
            var request = Request(random.Next(fixture.Prompts.Length));
            var model = fixture.Models[random.Next(fixture.Models.Count)];
            tuner.Observe(request, model.Name, new Outcome(update % 2, model.CostUsd(300, 300)));
            // CurrentPolicy re-stacks W_x from the members' own weights, so equal decisions mean the stacked copy
            // the tuner routes with (after an odd or even number of updates: either copy) matches them.
            var fresh = tuner.CurrentPolicy();
            for (var p = 0; p < 20; p++)
            {
                var (tuned, restacked) = (tuner.Route(Request(p)), fresh.Route(Request(p)));
                Assert.Equal(restacked.Model, tuned.Model);
                Assert.Equal(restacked.Candidates.Select(c => c.Utility), tuned.Candidates.Select(c => c.Utility));
            }
            if (!fresh.Route(Request(0)).Candidates.Select(c => c.Utility).SequenceEqual(fixture.Ensemble.Route(Request(0)).Candidates.Select(c => c.Utility))) changed++;
        }
        Assert.True(changed > 0, "the updates changed nothing");
    }

    private static DialEnsemble CopyOf(DialEnsemble ensemble)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) PolicyFile.Write(ensemble, w);
        stream.Position = 0;
        using var r = new BinaryReader(stream);
        return PolicyFile.Read(r, "copy");
    }

    [Fact]
    public void A_restored_fine_tuner_decides_exactly_as_the_original()
    {
        var tuner = new PolicyFineTuner(fixture.Ensemble, epsilon: 0.2, seed: 3);
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
        var tuner = new PolicyFineTuner(fixture.Ensemble, epsilon: 0.1);
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
        var tuner = new PolicyFineTuner(fixture.Ensemble);
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

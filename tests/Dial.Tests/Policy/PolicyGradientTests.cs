using Dial.Learning.Neural;
using Dial.Learning.Policy;
using Dial.Tests.Neural;

namespace Dial.Tests.Policy;

/// <summary>Every gradient the policy trains with, against central finite differences.</summary>
public sealed class PolicyGradientTests
{
    private const int Features = 7;
    private const int Candidates = 4;

    private static readonly ModelCard[] Cards =
    [
        new("big", "p", 10, 30),
        new("mid", "p", 1, 2),
        new("small", "p", 0.1, 0.2),
        new("slow", "p", 0.5, 1.5, MedianLatencyMs: 2000),
    ];

    private static readonly float[] X = Enumerable.Range(0, Features).Select(i => (float)Math.Cos(1.3 * i + 0.4)).ToArray();
    private static readonly float[] Scores = [1f, 0f, 0.4f, 1f];
    private static readonly float[] CostUnits = [0.9f, 0.05f, 0.002f, 0.03f];
    private static readonly float[] Rewards = [0.2f, -0.1f, 0.05f, 0.3f];
    private static readonly Preference Preference = new(0.6, 0.3, 0.1);

    /// <summary>The identity model's logits, an input of a policy with an item prior.</summary>
    private static readonly float[] ItemLogits = [1.2f, -0.5f, 0.3f, 2.0f];

    private sealed class Setup
    {
        public Setup(float[]? features = null, bool itemPrior = false, int costRank = 0)
        {
            Input = features ?? X;
            var random = new Random(11);
            Describer = CandidateDescriber.Learned(Cards.Select(c => c.Name).ToArray(), 3, random);
            Network = new PolicyNetwork(Features, Describer.Dimension, 6, 4f, random, itemPrior, costRank);
            // Away from its initial 1, so a gradient that ignored γ's value would show.
            if (itemPrior) Network.ItemWeight!.Value[0] = 0.6f;
            // Away from their initial zeros, so U and the descriptors get the cost term's gradient too.
            if (Network.CostMix is { } mix)
                foreach (var p in mix.Parameters)
                    for (var i = 0; i < p.Value.Length; i++) p.Value[i] = 0.4f * MathF.Sin(2.1f * i + p.Value.Length);
            // A non-zero cost bias keeps predicted costs away from the clamp and in a realistic range.
            Network.Cost.Bias.Value[0] = -2f;
            Pass = new PolicyPass(Network, Candidates);
            Objective = new PolicyObjective(new PolicyOptions { EntropyWeight = 0.05f, QualityLossWeight = 0.7f, CostLossWeight = 0.3f }, Candidates);
        }

        public float[] Input { get; }

        public CandidateDescriber Describer { get; }

        public PolicyNetwork Network { get; }

        public PolicyPass Pass { get; }

        public PolicyObjective Objective { get; }

        public IEnumerable<Parameter> Parameters => [.. Network.Parameters, Describer.Vectors];

        public void Forward()
        {
            Pass.Reset(Candidates, Preference);
            for (var k = 0; k < Candidates; k++)
            {
                Describer.Describe(Cards[k], Pass.Descriptor(k));
                Pass.ItemLogit[k] = ItemLogits[k];
                Pass.Latency[k] = k * 0.25f;
            }
            Network.Forward(Pass, Input, 0.7f);
        }

        public void Check(Func<bool, double> objective)
        {
            GradientCheck.AssertGradientsMatch(
                Parameters,
                () =>
                {
                    Forward();
                    return objective(false);
                },
                () =>
                {
                    foreach (var p in Parameters) p.ZeroGradient();
                    Forward();
                    objective(true);
                    for (var k = 0; k < Candidates; k++) Describer.Backward(Cards[k].Name, Pass.DescriptorGradient(k));
                },
                samplesPerParameter: 25);
        }
    }

    [Fact]
    public void BanditObjectiveGradientsMatchFiniteDifferences()
    {
        var s = new Setup();
        s.Check(backward => s.Objective.Bandit(s.Network, s.Pass, X, action: 2, advantage: 0.35f, Scores[2], CostUnits[2], backward));
    }

    [Fact]
    public void ItemPriorGradientsMatchFiniteDifferences()
    {
        var s = new Setup(itemPrior: true);
        s.Check(backward => s.Objective.Bandit(s.Network, s.Pass, X, action: 3, advantage: 0.35f, Scores[3], CostUnits[3], backward));
        Assert.NotEqual(0f, s.Network.ItemWeight!.Gradient[0]);
        s.Check(backward => s.Objective.Full(s.Network, s.Pass, X, Rewards, Scores, CostUnits, backward));
    }

    [Fact]
    public void CostTermGradientsMatchFiniteDifferences()
    {
        var s = new Setup(costRank: 2);
        s.Check(backward => s.Objective.Bandit(s.Network, s.Pass, X, action: 1, advantage: 0.35f, Scores[1], CostUnits[1], backward));
        Assert.Contains(s.Network.CostPrompt!.Weight.Gradient, g => g != 0);
        Assert.Contains(s.Network.CostMix!.Weight.Gradient, g => g != 0);
        s.Check(backward => s.Objective.Full(s.Network, s.Pass, X, Rewards, Scores, CostUnits, backward));
        float[] observed = [float.NaN, 0f, float.NaN, 1f];
        s.Check(backward => s.Objective.WarmStart(s.Network, s.Pass, X, observed, CostUnits, backward));
    }

    [Fact]
    public void TheCostTermReadsSparseFeaturesOnlyAndStartsAtZero()
    {
        var sparse = X.Select((x, i) => i % 3 == 1 ? 0f : x).ToArray();
        var s = new Setup(sparse, costRank: 2);
        s.Check(backward => s.Objective.Bandit(s.Network, s.Pass, sparse, action: 3, advantage: -0.2f, Scores[3], CostUnits[3], backward));
        for (var i = 0; i < s.Network.CostRank; i++) Assert.Equal(0f, s.Network.CostPrompt!.Weight.GradientRow(i)[1]);

        // A fresh network's S and s₀ are zero, so its cost is the rest of the head's (the closed-form fit's) alone.
        var fresh = new PolicyNetwork(Features, 5, 6, 4f, new Random(3), costRank: 2);
        var without = new PolicyNetwork(Features, 5, 6, 4f, new Random(3));
        foreach (var network in new[] { fresh, without }) network.Cost.Bias.Value[0] = -2f;
        var (a, b) = (new PolicyPass(fresh, 1), new PolicyPass(without, 1));
        foreach (var pass in new[] { a, b })
        {
            pass.Reset(1, Preference);
            new float[] { 0.5f, 1f, 0.2f, -0.3f, 0.7f }.CopyTo(pass.Descriptor(0));
        }
        fresh.Forward(a, X, 0.7f);
        without.Forward(b, X, 0.7f);
        Assert.Contains(a.CostProjection, p => p != 0);
        Assert.Equal(b.LogCost[0], a.LogCost[0]);
    }

    [Fact]
    public void WithAnItemPriorTheQualityLogitReadsTheCandidateOnlyThroughItsWeightedLogit()
    {
        var s = new Setup(itemPrior: true);
        Assert.Null(s.Network.CandidateWeight);
        s.Forward();
        // Four candidates with different prices and descriptors: the rest of the logit is the prompt's alone.
        var promptPart = s.Pass.QualityLogit[0] - 0.6f * ItemLogits[0];
        for (var k = 1; k < Candidates; k++) Assert.Equal(promptPart, s.Pass.QualityLogit[k] - 0.6f * ItemLogits[k], 5);
        // The descriptor (prices included) still reaches the cost head.
        Assert.NotEqual(s.Pass.Cost[0], s.Pass.Cost[1]);

        var without = new Setup();
        without.Forward();
        Assert.NotNull(without.Network.CandidateWeight);
        Assert.NotEqual(without.Pass.QualityLogit[0], without.Pass.QualityLogit[1]);
    }

    [Fact]
    public void SparsePromptFeaturesGetTheirGradientAndZeroFeaturesNone()
    {
        // TF-IDF vectors are mostly zeros; the projection and its gradient skip them, which must change nothing.
        var sparse = X.Select((x, i) => i % 3 == 1 ? 0f : x).ToArray();
        var s = new Setup(sparse);
        s.Check(backward => s.Objective.Bandit(s.Network, s.Pass, sparse, action: 1, advantage: -0.2f, Scores[1], CostUnits[1], backward));
        for (var i = 0; i < s.Network.Hidden; i++)
            Assert.Equal(0f, s.Network.Prompt.Weight.GradientRow(i)[1]);
        Assert.Contains(s.Network.Prompt.Weight.Gradient, g => g != 0);
    }

    [Fact]
    public void FullInformationObjectiveGradientsMatchFiniteDifferences()
    {
        var s = new Setup();
        s.Check(backward => s.Objective.Full(s.Network, s.Pass, X, Rewards, Scores, CostUnits, backward));
    }

    [Fact]
    public void WarmStartGradientsMatchFiniteDifferences()
    {
        var s = new Setup();
        float[] observed = [float.NaN, 0f, float.NaN, 1f];
        s.Check(backward => s.Objective.WarmStart(s.Network, s.Pass, X, observed, CostUnits, backward));
    }

    [Fact]
    public void BaselineGradientsMatchFiniteDifferences()
    {
        var baseline = new RewardBaseline(5, 4, new Random(5));
        float[] projection = [0.3f, -0.2f, 0.9f, 0.1f, -0.5f];
        const float reward = 0.42f;
        GradientCheck.AssertGradientsMatch(
            baseline.Parameters,
            () =>
            {
                var e = baseline.Predict(projection, Preference) - reward;
                return 0.5 * e * e;
            },
            () =>
            {
                foreach (var p in baseline.Parameters) p.ZeroGradient();
                baseline.Fit(projection, Preference, reward);
            });
    }

    [Fact]
    public void IdentityVectorsAreNotTrained()
    {
        var identities = new Dial.Learning.Identity.IdentityTable(Cards.Select((c, i) => new Dial.Learning.Identity.ModelIdentity(c.Name, [i, -i], [1f, 1f], 10)));
        var describer = CandidateDescriber.FromIdentities(identities, Cards.Select(c => c.Name).ToArray());
        describer.Backward("mid", [1f, 1f, 5f, 5f]);
        Assert.All(describer.Vectors.Gradient, g => Assert.Equal(0f, g));
        var d = new float[describer.Dimension];
        describer.Describe(Cards[1], d);
        Assert.Equal([MathF.Log(2f), MathF.Log(3f), 1f, -1f], d);
    }
}

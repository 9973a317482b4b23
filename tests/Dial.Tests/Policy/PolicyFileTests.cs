using System.Text;
using Dial.Learning.Policy;

namespace Dial.Tests.Policy;

public sealed class PolicyFileTests(TrainedPolicyFixture fixture) : IClassFixture<TrainedPolicyFixture>, IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"dial-policy-{Guid.NewGuid():N}.dial");

    public void Dispose() => File.Delete(_path);

    private void AssertSameDecisions(DialEnsemble expected, DialEnsemble actual)
    {
        foreach (var w in new[] { 0, 0.05, 0.3, 1 })
            foreach (var text in fixture.Test.Prompts.Take(25).Select(p => p.Text))
            {
                // Fresh prompts, so the loaded ensemble encodes with its own (reloaded) encoder.
                var a = expected.Route(new RoutingRequest(text, Preference.FromCostWeight(w), fixture.Models));
                var b = actual.Route(new RoutingRequest(text, Preference.FromCostWeight(w), fixture.Models));
                Assert.Equal(a.Model, b.Model);
                Assert.Equal(a.Candidates, b.Candidates);
            }
    }

    [Fact]
    public void ASavedAndReloadedEnsembleMakesIdenticalDecisions()
    {
        var ensemble = fixture.Ensemble;
        PolicyFile.Save(ensemble, _path);
        var loaded = PolicyFile.Load(_path);
        Assert.Equal(ensemble.Name, loaded.Name);
        Assert.Equal(ensemble.Scale, loaded.Scale);
        Assert.Equal(ensemble.Models, loaded.Models);
        Assert.Equal(2, loaded.Members.Count);
        for (var m = 0; m < 2; m++)
            Assert.Equal(ensemble.Members[m].Network.Prompt.Weight.Value, loaded.Members[m].Network.Prompt.Weight.Value);
        AssertSameDecisions(ensemble, loaded);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(2)]
    [InlineData(1)]
    public void APolicyFileOfAnEarlierFormatLoads(int format)
    {
        // Earlier formats hold networks without the cost term: the fixture's policy with it left out.
        var policy = WithoutCostTerm(fixture.Policy);
        var single = new DialEnsemble(policy.Name, [policy]);
        PolicyFile.Save(single, _path);
        // Format 3 is the fourth without the cost term's rank (after the feature count and the hidden size); format 2
        // is the third without the item-model flag (the byte before the model count, which precedes the first card's
        // name); format 1 is the second without the member count (just before the parameter count).
        var bytes = File.ReadAllBytes(_path).ToList();
        var parameter = Encoding.UTF8.GetBytes(policy.Network.Parameters[0].Name);
        var memberCount = bytes.ToArray().AsSpan().IndexOf([(byte)parameter.Length, .. parameter]) - 4 - 4;
        Assert.Equal(1, BitConverter.ToInt32(bytes.ToArray(), memberCount));
        if (format == 1) bytes.RemoveRange(memberCount, 4);
        var card = Encoding.UTF8.GetBytes(fixture.Models[0].Name);
        var itemFlag = bytes.ToArray().AsSpan().IndexOf([(byte)card.Length, .. card]) - 4 - 1;
        Assert.Equal(0, bytes[itemFlag]);
        if (format <= 2) bytes.RemoveAt(itemFlag);
        var rank = FeatureCountOffset + 8;
        Assert.Equal(0, BitConverter.ToInt32(bytes.ToArray(), rank));
        bytes.RemoveRange(rank, 4);
        var old = bytes.ToArray();
        Encoding.ASCII.GetBytes($"DIAL-POLICY-{format}").CopyTo(old, 1);
        File.WriteAllBytes(_path, old);

        var loaded = PolicyFile.Load(_path);
        Assert.Single(loaded.Members);
        Assert.Equal(0, loaded.Members[0].Network.CostRank);
        AssertSameDecisions(single, loaded);
    }

    /// <summary>The policy's network without the cost term (rank 0), every other parameter the same.</summary>
    private static DialPolicy WithoutCostTerm(DialPolicy policy)
    {
        var source = policy.Network;
        Assert.True(source.CostRank > 0);
        var network = new PolicyNetwork(source.Features, source.Descriptor, source.Hidden, source.Beta, new Random(0), source.HasItemPrior);
        for (var i = 0; i < network.Parameters.Count; i++) source.Parameters[i].Value.CopyTo(network.Parameters[i].Value, 0);
        return new DialPolicy(policy.Name, policy.Encoder, policy.Scale, network, policy.Describer, policy.Models, policy.Items);
    }

    /// <summary>Where the feature count is: after the header, the name, the encoder and the reward scale.</summary>
    private int FeatureCountOffset =>
        1 + "DIAL-POLICY-4".Length + 1 + fixture.Ensemble.Name.Length + 1 + "DIAL-TFIDF-1".Length + 4 + 4 * fixture.Policy.Network.Features + 16;

    [Fact]
    public void AnEnsembleOfOneDecidesExactlyAsItsPolicy()
    {
        // The ensemble's stacked, column-wise prompt projection must reproduce the policy's own, bit for bit.
        var single = new DialEnsemble(fixture.Policy.Name, [fixture.Policy]);
        foreach (var w in new[] { 0, 0.1, 0.5 })
            foreach (var prompt in fixture.Prompts.Take(40))
            {
                var request = new RoutingRequest(prompt, Preference.FromCostWeight(w), fixture.Models);
                var a = fixture.Policy.Route(request);
                var b = single.Route(request);
                Assert.Equal(a.Model, b.Model);
                foreach (var c in a.Candidates)
                {
                    var d = b.Candidates.Single(x => x.Model == c.Model);
                    Assert.Equal(c.ExpectedQuality, d.ExpectedQuality);
                    Assert.Equal(c.ExpectedCostUsd, d.ExpectedCostUsd);
                }
            }
    }

    [Fact]
    public void AFileThatIsNotAPolicyIsAClearError()
    {
        File.WriteAllText(_path, "{\"this\": \"is json\"}");
        var e = Assert.Throws<InvalidDataException>(() => PolicyFile.Load(_path));
        Assert.Contains(_path, e.Message);
        Assert.Contains("not a Dial policy file", e.Message);
    }

    [Fact]
    public void ATruncatedPolicyIsAClearError()
    {
        PolicyFile.Save(fixture.Ensemble, _path);
        var bytes = File.ReadAllBytes(_path);
        File.WriteAllBytes(_path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => PolicyFile.Load(_path));
        Assert.Contains("truncated", e.Message);
        Assert.Contains(_path, e.Message);
    }

    [Fact]
    public void ACorruptedSizeIsAClearError()
    {
        PolicyFile.Save(fixture.Ensemble, _path);
        var bytes = File.ReadAllBytes(_path);
        // The first size after the encoder and the scale is the feature count: make it absurd.
        BitConverter.GetBytes(-5).CopyTo(bytes, FeatureCountOffset);
        File.WriteAllBytes(_path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => PolicyFile.Load(_path));
        Assert.Contains("invalid feature count -5", e.Message);
    }
}

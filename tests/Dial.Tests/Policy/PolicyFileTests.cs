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
    [InlineData(2)]
    [InlineData(1)]
    public void APolicyFileOfAnEarlierFormatLoads(int format)
    {
        var single = new DialEnsemble(fixture.Policy.Name, [fixture.Policy]);
        PolicyFile.Save(single, _path);
        // Format 2 is the third without the item-model flag (the byte before the model count, which precedes the
        // first card's name); format 1 is the second without the member count (just before the parameter count).
        var bytes = File.ReadAllBytes(_path).ToList();
        var parameter = Encoding.UTF8.GetBytes(fixture.Policy.Network.Parameters[0].Name);
        var memberCount = bytes.ToArray().AsSpan().IndexOf([(byte)parameter.Length, .. parameter]) - 4 - 4;
        Assert.Equal(1, BitConverter.ToInt32(bytes.ToArray(), memberCount));
        if (format == 1) bytes.RemoveRange(memberCount, 4);
        var card = Encoding.UTF8.GetBytes(fixture.Models[0].Name);
        var itemFlag = bytes.ToArray().AsSpan().IndexOf([(byte)card.Length, .. card]) - 4 - 1;
        Assert.Equal(0, bytes[itemFlag]);
        bytes.RemoveAt(itemFlag);
        var old = bytes.ToArray();
        Encoding.ASCII.GetBytes($"DIAL-POLICY-{format}").CopyTo(old, 1);
        File.WriteAllBytes(_path, old);

        var loaded = PolicyFile.Load(_path);
        Assert.Single(loaded.Members);
        AssertSameDecisions(single, loaded);
    }

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
        var offset = 1 + "DIAL-POLICY-2".Length + 1 + fixture.Ensemble.Name.Length + 1 + "DIAL-TFIDF-1".Length + 4 + 4 * fixture.Policy.Network.Features + 16;
        BitConverter.GetBytes(-5).CopyTo(bytes, offset);
        File.WriteAllBytes(_path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => PolicyFile.Load(_path));
        Assert.Contains("invalid feature count -5", e.Message);
    }
}

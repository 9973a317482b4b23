using Dial.Learning.Policy;

namespace Dial.Tests.Policy;

public sealed class PolicyFileTests(TrainedPolicyFixture fixture) : IClassFixture<TrainedPolicyFixture>, IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"dial-policy-{Guid.NewGuid():N}.dial");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void ASavedAndReloadedPolicyMakesIdenticalDecisions()
    {
        PolicyFile.Save(fixture.Policy, _path);
        var loaded = PolicyFile.Load(_path);
        Assert.Equal(fixture.Policy.Name, loaded.Name);
        Assert.Equal(fixture.Policy.Scale, loaded.Scale);
        Assert.Equal(fixture.Policy.Models, loaded.Models);
        foreach (var w in new[] { 0, 0.05, 0.3, 1 })
            foreach (var text in fixture.Test.Prompts.Take(25).Select(p => p.Text))
            {
                // Fresh prompts, so the loaded policy encodes with its own (reloaded) encoder.
                var a = fixture.Policy.Route(new RoutingRequest(text, Preference.FromCostWeight(w), fixture.Models));
                var b = loaded.Route(new RoutingRequest(text, Preference.FromCostWeight(w), fixture.Models));
                Assert.Equal(a.Model, b.Model);
                Assert.Equal(a.Candidates, b.Candidates);
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
        PolicyFile.Save(fixture.Policy, _path);
        var bytes = File.ReadAllBytes(_path);
        File.WriteAllBytes(_path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => PolicyFile.Load(_path));
        Assert.Contains("truncated", e.Message);
        Assert.Contains(_path, e.Message);
    }

    [Fact]
    public void ACorruptedSizeIsAClearError()
    {
        PolicyFile.Save(fixture.Policy, _path);
        var bytes = File.ReadAllBytes(_path);
        // The first size after the encoder and the scale is the feature count: make it absurd.
        var offset = 1 + "DIAL-POLICY-1".Length + 1 + fixture.Policy.Name.Length + 1 + "DIAL-TFIDF-1".Length + 4 + 4 * fixture.Policy.Network.Features + 16;
        BitConverter.GetBytes(-5).CopyTo(bytes, offset);
        File.WriteAllBytes(_path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => PolicyFile.Load(_path));
        Assert.Contains("invalid feature count -5", e.Message);
    }
}

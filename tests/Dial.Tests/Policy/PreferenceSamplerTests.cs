using Dial.Learning.Policy;

namespace Dial.Tests.Policy;

public sealed class PreferenceSamplerTests
{
    [Fact]
    public void SamplesLieOnTheSimplexWithCornersAndLeanTowardsQuality()
    {
        var random = new Random(4);
        var samples = Enumerable.Range(0, 4000).Select(_ => PreferenceSampler.Default.Sample(random, latency: false).Normalized()).ToArray();
        Assert.All(samples, p =>
        {
            Assert.Equal(1.0, p.Quality + p.Cost, 9);
            Assert.Equal(0.0, p.Latency);
        });
        var qualityCorners = samples.Count(p => p.Quality == 1) / 4000.0;
        var costCorners = samples.Count(p => p.Cost == 1) / 4000.0;
        Assert.InRange(qualityCorners, 0.05, 0.10);
        Assert.InRange(costCorners, 0.05, 0.10);
        Assert.True(samples.Average(p => p.Cost) < 0.45, "the default leans towards quality-heavy weights");
    }

    [Fact]
    public void LatencyIsSampledOnlyWhenAsked()
    {
        var random = new Random(5);
        var samples = Enumerable.Range(0, 2000).Select(_ => PreferenceSampler.Default.Sample(random, latency: true).Normalized()).ToArray();
        Assert.Contains(samples, p => p.Latency == 1);
        Assert.True(samples.Count(p => p.Latency > 0.05) > 500);
    }
}

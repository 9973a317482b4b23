using Dial.Evaluation;

namespace Dial.Tests.Evaluation;

public sealed class BootstrapAndSweepTests
{
    [Fact]
    public void ConstantValuesHaveADegenerateInterval()
    {
        var ci = new Bootstrap(50, 200, seed: 1).Interval95(Enumerable.Repeat(0.25f, 50).ToArray());
        Assert.Equal(0.25, ci.Low, 6);
        Assert.Equal(0.25, ci.High, 6);
    }

    [Fact]
    public void IntervalOfAFairCoinMatchesTheNormalApproximation()
    {
        var values = Enumerable.Range(0, 400).Select(i => (float)(i % 2)).ToArray();
        var ci = new Bootstrap(400, 2000, seed: 3).Interval95(values);
        // Standard error sqrt(0.25 / 400) = 0.025, so about 0.5 ± 0.049.
        Assert.InRange(ci.Low, 0.44, 0.462);
        Assert.InRange(ci.High, 0.538, 0.56);
    }

    [Fact]
    public void SameSeedSameInterval()
    {
        var values = Enumerable.Range(0, 30).Select(i => (float)(i * i % 7)).ToArray();
        Assert.Equal(new Bootstrap(30, 100, 5).Interval95(values), new Bootstrap(30, 100, 5).Interval95(values));
        Assert.Throws<ArgumentException>(() => new Bootstrap(30, 100, 5).Interval95(new float[29]));
    }

    [Fact]
    public void SweepRunsFromQualityOnlyToCostOnlyDenserAtTheEnds()
    {
        var w = CostWeightSweep.Weights();
        Assert.Equal(CostWeightSweep.DefaultCount, w.Length);
        Assert.Equal(0, w[0]);
        Assert.Equal(1, w[^1]);
        Assert.All(w.Zip(w.Skip(1)), pair => Assert.True(pair.First < pair.Second));
        Assert.True(w.Count(x => x < 0.1) > 3 * w.Count(x => x is >= 0.45 and < 0.55));
        Assert.True(w[1] < 1e-3);
    }
}

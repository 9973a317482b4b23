using Dial.Data;

namespace Dial.Tests;

public class DomainTests
{
    [Fact]
    public void PreferenceRejectsNegativeNonFiniteAndAllZeroWeights()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Preference(-0.1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Preference(double.NaN, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Preference(1, double.PositiveInfinity));
        Assert.Throws<ArgumentException>(() => new Preference(0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Preference.FromCostWeight(1.5));
    }

    [Fact]
    public void UtilityDependsOnlyOnTheRatioOfWeights()
    {
        var scale = new RewardScale(0.01, 1000);
        var a = new Preference(2, 1).Utility(0.8, 0.005, 0, scale);
        var b = new Preference(4, 2).Utility(0.8, 0.005, 0, scale);
        Assert.Equal(a, b, 12);
        Assert.Equal(2.0 / 3 * 0.8 - 1.0 / 3 * 0.5, a, 12);
    }

    [Fact]
    public void ArgMaxBreaksTiesByNameSoCandidateOrderNeverMatters()
    {
        CandidateScore[] scores = [new("b", 1), new("a", 1), new("c", 0.5)];
        Assert.Equal("a", RoutingDecision.ArgMax("r", scores).Model);
        Assert.Equal("a", RoutingDecision.ArgMax("r", scores.Reverse().ToArray()).Model);
        Assert.Equal(["a", "b", "c"], RoutingDecision.ArgMax("r", scores).Ranked.Select(c => c.Model));
    }

    [Fact]
    public void CalibratedCostUnitIsTheMostExpensiveModelsMeanCall()
    {
        var train = BundledData.RouterBench.Where(Split.Train);
        var scale = RewardScaleCalibration.Calibrate(train);
        var gpt4 = TableStatistics.Of(train).Models.Single(m => m.Model == "gpt-4-1106-preview");
        Assert.Equal(gpt4.MeanCostUsd, scale.CostUsd, 12);
        Assert.Equal(RewardScaleCalibration.DefaultLatencyMs, scale.LatencyMs);
    }

    [Fact]
    public void PromptEncodesOncePerEncoder()
    {
        var encoder = new CountingEncoder();
        var prompt = new Prompt("hello");
        var a = prompt.Features(encoder);
        var b = prompt.Features(encoder);
        Assert.Same(a, b);
        Assert.Equal(1, encoder.Calls);
    }

    private sealed class CountingEncoder : IPromptEncoder
    {
        public int Calls;

        public int Dimension => 1;

        public float[] Encode(string text)
        {
            Calls++;
            return [text.Length];
        }
    }
}

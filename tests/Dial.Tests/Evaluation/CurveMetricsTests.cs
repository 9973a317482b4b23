using Dial.Evaluation;

namespace Dial.Tests.Evaluation;

public sealed class CurveMetricsTests
{
    // Two single models: "strong" 0.8 at 10 per prompt, "weak" 0.5 at 1 per prompt.
    private static readonly SingleModelResult[] Singles = [new("strong", 0.8, 10), new("weak", 0.5, 1)];

    private static CurvePoint P(double cost, double quality) => new(0, quality, cost, default, default);

    [Fact]
    public void FrontierKeepsOnlyPointsBetterThanEveryCheaperOne()
    {
        var frontier = ParetoFrontier.Of([P(2, 0.4), P(1, 0.5), P(3, 0.6), P(3, 0.7), P(4, 0.7), P(5, 0.9)]);
        Assert.Equal([(1.0, 0.5), (3.0, 0.7), (5.0, 0.9)], frontier.Select(p => (p.CostPerPrompt, p.Quality)));
    }

    [Fact]
    public void SavingsReadTheCheapestPointReachingEachTarget()
    {
        var m = CurveMetrics.Of([P(1, 0.5), P(4, 0.79), P(6, 0.8), P(12, 0.85)], Singles);
        Assert.Equal(1 - 6.0 / 10, m.SavingsAtBestSingleQuality!.Value, 12);
        Assert.Equal(1 - 6.0 / 10, m.SavingsAt99!.Value, 12); // 0.792 needs the 0.8 point
        Assert.Equal(1 - 4.0 / 10, m.SavingsAt98!.Value, 12); // 0.784 is reached at 4
        Assert.Equal(0.85, m.MaxQuality);
    }

    [Fact]
    public void SavingsAreNullWhenNeverReachedAndNegativeWhenReachedOnlyAtHigherCost()
    {
        var never = CurveMetrics.Of([P(1, 0.5), P(8, 0.7)], Singles);
        Assert.Null(never.SavingsAtBestSingleQuality);
        Assert.Null(never.SavingsAt98);
        var dear = CurveMetrics.Of([P(1, 0.5), P(12, 0.8)], Singles);
        Assert.Equal(1 - 12.0 / 10, dear.SavingsAtBestSingleQuality!.Value, 12);
    }

    [Fact]
    public void AucIsTheMeanEnvelopeOverLogCostBetweenCheapestAndDearestSingle()
    {
        var m = CurveMetrics.Of([P(1, 0.5), P(4, 0.79), P(6, 0.8), P(12, 0.85)], Singles);
        // log10 span [0, 1]; the envelope steps at log10 4 and log10 6; the point at 12 lies beyond the span.
        var expected = 0.5 * Math.Log10(4) + 0.79 * (Math.Log10(6) - Math.Log10(4)) + 0.8 * (1 - Math.Log10(6));
        Assert.Equal(expected, m.Auc!.Value, 12);
    }

    [Fact]
    public void AucCountsZeroBelowTheRoutersCheapestPointAndLetsCheaperPointsLiftTheStart()
    {
        var late = CurveMetrics.Of([P(2, 0.6)], Singles);
        Assert.Equal(0.6 * (1 - Math.Log10(2)), late.Auc!.Value, 12);
        var early = CurveMetrics.Of([P(0.5, 0.6)], Singles);
        Assert.Equal(0.6, early.Auc!.Value, 12);
    }

    [Fact]
    public void ApgrAveragesTheGapRecoveredOverCostFromWeakToStrong()
    {
        var m = CurveMetrics.Of([P(1, 0.5), P(4, 0.79), P(6, 0.8)], Singles);
        // Normalised cost x = (c - 1) / 9: the envelope is 0.5 on [0, 1/3), 0.79 on [1/3, 5/9), 0.8 on [5/9, 1].
        var meanQuality = 0.5 / 3 + 0.79 * (5.0 / 9 - 1.0 / 3) + 0.8 * 4.0 / 9;
        Assert.Equal((meanQuality - 0.5) / 0.3, m.Apgr!.Value, 12);

        // Choosing only the two singles' points recovers the gap only at the strong model's cost: APGR 0.
        Assert.Equal(0, CurveMetrics.Of([P(1, 0.5), P(10, 0.8)], Singles).Apgr!.Value, 12);
        // Where the router has no point yet, PGR counts 0.
        var late = CurveMetrics.Of([P(4, 0.8)], Singles);
        Assert.Equal(2.0 / 3, late.Apgr!.Value, 12);
    }

    [Fact]
    public void ApgrAndAucAreNullWhenThereIsNoGapOrSpan()
    {
        var m = CurveMetrics.Of([P(1, 0.9)], [new SingleModelResult("only", 0.8, 1)]);
        Assert.Null(m.Apgr);
        Assert.Null(m.Auc);
        Assert.Equal(0, m.SavingsAtBestSingleQuality!.Value, 12); // reached at the best single's own cost
    }
}

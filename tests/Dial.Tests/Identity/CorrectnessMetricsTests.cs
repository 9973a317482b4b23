using Dial.Data;
using Dial.Learning.Identity;

namespace Dial.Tests.Identity;

public sealed class CorrectnessMetricsTests
{
    [Fact]
    public void AucCountsCorrectlyOrderedPairsWithTiesAsHalf()
    {
        Assert.Equal(1, CorrectnessMetrics.AreaUnderRoc([(0.1, 0), (0.4, 0), (0.6, 1), (0.9, 1)]));
        Assert.Equal(0, CorrectnessMetrics.AreaUnderRoc([(0.9, 0), (0.1, 1)]));
        Assert.Equal(0.5, CorrectnessMetrics.AreaUnderRoc([(0.5, 0), (0.5, 1)]));
        // Soft scores are good answers from 0.5 up: (0.3, 0.7) is positive, (0.8, 0.2) negative.
        Assert.Equal(0.75, CorrectnessMetrics.AreaUnderRoc([(0.3, 0.7), (0.8, 0.2), (0.9, 1), (0.1, 0)]));
        Assert.True(double.IsNaN(CorrectnessMetrics.AreaUnderRoc([(0.3, 1), (0.4, 1)])));
    }

    [Fact]
    public void EvaluateSkipsMissingCellsAndUsesSoftLabels()
    {
        const string lines = """
            {"id":"a","prompt":"a","split":"test","results":{"m0":{"score":1,"cost_usd":0},"m1":{"score":0.25,"cost_usd":0}}}
            {"id":"b","prompt":"b","split":"test","results":{"m0":{"score":0,"cost_usd":0}}}
            """;
        var table = RoutingTableReader.ReadJsonLines(new StringReader(lines), "metrics", null);
        var m = CorrectnessMetrics.Evaluate(table, p => p == 0 ? [0.8, 0.5] : [0.4, double.NaN]);
        Assert.Equal(3, m.Cells);
        var expected = (Math.Log(0.8) + (0.25 * Math.Log(0.5) + 0.75 * Math.Log(0.5)) + Math.Log(0.6)) / 3;
        Assert.Equal(expected, m.LogLikelihood, 9);
        Assert.Equal(1, m.MacroAuc);
        var onlyM1 = CorrectnessMetrics.Evaluate(table, p => p == 0 ? [0.8, 0.5] : [0.4, double.NaN], [1]);
        Assert.Equal(1, onlyM1.Cells);
    }
}

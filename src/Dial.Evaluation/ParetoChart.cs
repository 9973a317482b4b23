using ScottPlot;

namespace Dial.Evaluation;

/// <summary>
/// The report's picture: quality against cost per 1,000 prompts (log scale), each router's sweep as a step line
/// along its Pareto frontier with its other points faint, the single models, random and the oracle as markers.
/// </summary>
public static class ParetoChart
{
    public static void SavePng(EvaluationResult result, string path, int width = 1100, int height = 700)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < result.Routers.Count; i++)
        {
            var router = result.Routers[i];
            var color = palette.GetColor(i);
            var frontier = plot.Add.Scatter(router.Frontier.Select(p => Log(p.CostPer1k)).ToArray(), router.Frontier.Select(p => p.Quality).ToArray(), color);
            frontier.ConnectStyle = ConnectStyle.StepHorizontal;
            frontier.LineWidth = 2;
            frontier.MarkerSize = 5;
            frontier.LegendText = router.Name;
            var all = plot.Add.ScatterPoints(router.Points.Select(p => Log(p.CostPer1k)).ToArray(), router.Points.Select(p => p.Quality).ToArray(), color.WithAlpha(0.35));
            all.MarkerSize = 3;
        }

        var singles = plot.Add.ScatterPoints(result.SingleModels.Select(s => Log(s.CostPer1k)).ToArray(), result.SingleModels.Select(s => s.Quality).ToArray(), Colors.Black);
        singles.MarkerShape = MarkerShape.FilledSquare;
        singles.MarkerSize = 7;
        singles.LegendText = "single models";
        foreach (var s in result.SingleModels)
        {
            var label = plot.Add.Text(s.Model, Log(s.CostPer1k), s.Quality);
            label.LabelFontSize = 9;
            label.LabelFontColor = Colors.DimGray;
        }
        AddMarker(plot, "oracle", result.Oracle.CostUsdPerPrompt * 1000, result.Oracle.Quality, MarkerShape.FilledDiamond, Colors.DarkGreen);
        AddMarker(plot, "random", result.Random.CostPer1k, result.Random.Quality, MarkerShape.FilledTriangleUp, Colors.Gray);

        var costs = result.Routers.SelectMany(r => r.Points.Select(p => p.CostPer1k))
            .Concat(result.SingleModels.Select(m => m.CostPer1k))
            .Append(result.Oracle.CostUsdPerPrompt * 1000).Append(result.Random.CostPer1k).ToArray();
        plot.Axes.Bottom.TickGenerator = LogTicks(costs.Min(), costs.Max());
        plot.Title($"{Path.GetFileName(result.Source)}: test split ({result.TestPrompts} prompts)");
        plot.XLabel("USD per 1,000 prompts (log scale)");
        plot.YLabel("mean quality");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.Margins(left: 0.03, right: 0.12, bottom: 0.05, top: 0.05); // room for the model names right of their markers
        plot.SavePng(path, width, height);
    }

    /// <summary>Labelled ticks at 1, 2 and 5 times each power of ten, unlabelled ones at the other multiples, on the log axis.</summary>
    private static ScottPlot.TickGenerators.NumericManual LogTicks(double min, double max)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (var decade = Math.Floor(Log(min)); decade <= Math.Ceiling(Log(max)); decade++)
            for (var multiple = 1; multiple <= 9; multiple++)
            {
                var value = multiple * Math.Pow(10, decade);
                if (multiple is 1 or 2 or 5) ticks.AddMajor(Math.Log10(value), $"{value:G3}");
                else ticks.AddMinor(Math.Log10(value));
            }
        return ticks;
    }

    private static void AddMarker(Plot plot, string name, double costPer1k, double quality, MarkerShape shape, Color color)
    {
        var marker = plot.Add.Marker(Log(costPer1k), quality, shape, 10);
        marker.Color = color;
        marker.LegendText = name;
    }

    /// <summary>log10 of a cost, with free calls drawn at a tenth of a thousandth of a dollar rather than at minus infinity.</summary>
    private static double Log(double costPer1k) => Math.Log10(Math.Max(costPer1k, 1e-4));
}

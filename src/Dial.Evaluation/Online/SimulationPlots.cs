using ScottPlot;

namespace Dial.Evaluation.Online;

/// <summary>The replay's figures as PNG: cumulative regret against the oracle and, with drift, the drifted model's share.</summary>
public static class SimulationPlots
{
    private const int Width = 1000;
    private const int Height = 600;

    /// <summary>Writes the figures into <paramref name="directory"/> and returns their paths.</summary>
    public static IReadOnlyList<string> Write(SimulationReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        var paths = new List<string>();
        var preference = report.Settings.SamplePreference
            ? $"cost weight ~ U[0, {SimulationSettings.MaxSampledCostWeight}]"
            : $"cost weight {report.Settings.CostWeight}";
        var subtitle = $"{Path.GetFileName(report.Source)}, {report.Split} split, {preference}, {report.Settings.Seeds} seeds (95% band)";

        var regret = Path.Combine(directory, "regret.png");
        Draw(report.CurveSteps, report.RegretCurves, $"Cumulative regret against the oracle\n{subtitle}", "cumulative regret (utility)", report.DriftStart)
            .SavePng(regret, Width, Height);
        paths.Add(regret);

        if (report.DriftedShareCurves.Count > 0)
        {
            var share = Path.Combine(directory, "drift-share.png");
            Draw(report.CurveSteps, report.DriftedShareCurves,
                    $"Share of requests sent to {report.DriftedModel} (answers like {report.WeakModel} from request {report.DriftStart})\n{subtitle}",
                    $"share over the last {SimulationSettings.ShareWindow} requests", report.DriftStart)
                .SavePng(share, Width, Height);
            paths.Add(share);
        }
        return paths;
    }

    private static Plot Draw(int[] steps, IReadOnlyList<Curve> curves, string title, string yLabel, int? driftStart)
    {
        var plot = new Plot();
        var xs = steps.Select(s => (double)s).ToArray();
        for (var i = 0; i < curves.Count; i++)
        {
            var color = plot.Add.Palette.GetColor(i);
            var band = plot.Add.FillY(xs, curves[i].Low, curves[i].High);
            band.FillStyle.Color = color.WithAlpha(0.2);
            band.LineStyle.Width = 0;
            var line = plot.Add.ScatterLine(xs, curves[i].Mean);
            line.Color = color;
            line.LineWidth = 2;
            line.LegendText = curves[i].Name;
        }
        if (driftStart is { } start)
        {
            var marker = plot.Add.VerticalLine(start);
            marker.Color = Colors.Gray;
            marker.LinePattern = LinePattern.Dashed;
        }
        plot.Title(title);
        plot.XLabel("requests");
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }
}

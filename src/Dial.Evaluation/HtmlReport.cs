using System.Globalization;
using System.Net;
using System.Text;

namespace Dial.Evaluation;

/// <summary>
/// Writes an evaluation to a folder: index.html (the Pareto chart and the tables), pareto.png (the chart) and
/// results.json (the same document <c>dial eval --json</c> prints).
/// </summary>
public static class HtmlReport
{
    public const string ChartFile = "pareto.png";

    public static void Write(EvaluationResult result, string folder)
    {
        Directory.CreateDirectory(folder);
        ParetoChart.SavePng(result, Path.Combine(folder, ChartFile));
        File.WriteAllText(Path.Combine(folder, "results.json"), EvaluationJson.Serialize(result));
        File.WriteAllText(Path.Combine(folder, "index.html"), Html(result));
    }

    private static string Html(EvaluationResult r)
    {
        var h = new StringBuilder();
        h.Append($"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Dial evaluation: {E(Path.GetFileName(r.Source))}</title>
            <style>
            body {"{"} font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1150px; color: #222; {"}"}
            table {"{"} border-collapse: collapse; margin: 1em 0; {"}"}
            th, td {"{"} border: 1px solid #ccc; padding: 4px 8px; text-align: right; {"}"}
            th:first-child, td:first-child {"{"} text-align: left; {"}"}
            caption {"{"} text-align: left; font-weight: bold; margin-bottom: .3em; {"}"}
            </style></head><body>
            <h1>Dial evaluation</h1>
            <p>Data: <code>{E(r.Source)}</code>. Trained on {r.TrainPrompts} train prompts, measured on {r.TestPrompts} test prompts
            {(r.ExcludedTestPrompts > 0 ? $"({r.ExcludedTestPrompts} test prompts without any result left out)" : "")}. Seed {r.Seed}.
            Costs are USD per 1,000 prompts; intervals are bootstrap 95% over test prompts.</p>
            <img src="{ChartFile}" alt="Quality against cost per 1,000 prompts for every router, single model, random and the oracle" width="1100">
            """);

        h.Append("<table><caption>Routers</caption><tr><th>router</th><th>auc</th><th>max quality</th><th>savings at best single quality</th><th>savings at 99%</th><th>savings at 98%</th><th>apgr</th><th>train s</th><th>route s</th></tr>\n");
        foreach (var x in r.Routers)
        {
            var m = x.Metrics;
            h.Append($"<tr><td>{E(x.Name)}</td><td>{N(m.Auc)}</td><td>{N(m.MaxQuality)}</td><td>{Pct(m.SavingsAtBestSingleQuality)}</td><td>{Pct(m.SavingsAt99)}</td><td>{Pct(m.SavingsAt98)}</td><td>{N(m.Apgr)}</td><td>{N(x.TrainSeconds, "F2")}</td><td>{N(x.RouteSeconds, "F2")}</td></tr>\n");
        }
        h.Append("</table>\n");

        if (r.AucComparisons.Count > 0)
        {
            h.Append($"<table><caption>auc of {E(r.AucComparisons[0].Router)} minus each other router's, paired bootstrap over test prompts (an interval holding 0 is a tie on this split)</caption><tr><th>against</th><th>difference</th><th>95% interval</th><th>{E(r.AucComparisons[0].Router)} ahead in</th></tr>\n");
            foreach (var c in r.AucComparisons)
                h.Append($"<tr><td>{E(c.Against)}</td><td>{N(c.Difference)}</td><td>{Ci(c.Interval95, 1)}</td><td>{Pct(c.ShareAhead)}</td></tr>\n");
            h.Append("</table>\n");
        }

        h.Append("<table><caption>Reference rows</caption><tr><th>row</th><th>quality</th><th>USD / 1k prompts</th></tr>\n");
        h.Append($"<tr><td>best single: {E(r.BestSingle.Model)}</td><td>{N(r.BestSingle.Quality)}</td><td>{N(r.BestSingle.CostPer1k)}</td></tr>\n");
        h.Append($"<tr><td>oracle</td><td>{N(r.Oracle.Quality)}</td><td>{N(r.Oracle.CostUsdPerPrompt * 1000)}</td></tr>\n");
        h.Append($"<tr><td>random</td><td>{N(r.Random.Quality)} {Ci(r.Random.QualityCi, 1)}</td><td>{N(r.Random.CostPer1k)} {Ci(r.Random.CostCi, 1000)}</td></tr>\n");
        foreach (var s in r.SingleModels.OrderByDescending(s => s.Quality))
            h.Append($"<tr><td>{E(s.Model)}</td><td>{N(s.Quality)}</td><td>{N(s.CostPer1k)}</td></tr>\n");
        h.Append("</table>\n");

        foreach (var x in r.Routers)
        {
            h.Append($"<table><caption>{E(x.Name)}: Pareto frontier</caption><tr><th>cost weight</th><th>quality</th><th>95% interval</th><th>USD / 1k prompts</th><th>95% interval</th></tr>\n");
            foreach (var p in x.Frontier)
                h.Append($"<tr><td>{N(p.CostWeight, "G4")}</td><td>{N(p.Quality)}</td><td>{Ci(p.QualityCi, 1)}</td><td>{N(p.CostPer1k)}</td><td>{Ci(p.CostCi, 1000)}</td></tr>\n");
            h.Append("</table>\n");
        }

        var t = r.Timing;
        h.Append($"<p>Timing: load {N(t.LoadSeconds, "F2")} s, featurise {N(t.FeaturiseSeconds, "F2")} s, train and route all routers {N(t.RoutersSeconds, "F2")} s. Full results: <a href=\"results.json\">results.json</a>.</p>\n");
        h.Append("</body></html>\n");
        return h.ToString();
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private static string N(double? v, string format = "F4") => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "–";

    private static string Pct(double? v) => v is { } x ? x.ToString("P1", CultureInfo.InvariantCulture) : "never";

    private static string Ci(Interval i, double factor) => $"[{N(i.Low * factor)}, {N(i.High * factor)}]";
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dial.Evaluation;

/// <summary>
/// The JSON form of an <see cref="EvaluationResult"/>, as printed by <c>dial eval --json</c> and written to
/// results.json. Costs are USD per 1,000 prompts; intervals are [low, high]; a metric the router never reaches is null.
/// </summary>
public static class EvaluationJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static string Serialize(EvaluationResult r) => JsonSerializer.Serialize(ToDocument(r), Options);

    private static Document ToDocument(EvaluationResult r) => new(
        r.Source,
        r.TrainPrompts,
        r.TestPrompts,
        r.ExcludedTestPrompts,
        r.Seed,
        Single(r.BestSingle),
        new OracleRow(r.Oracle.Quality, r.Oracle.CostUsdPerPrompt * 1000),
        new RandomRow(r.Random.Quality, r.Random.CostPer1k, Pair(r.Random.QualityCi), Pair1k(r.Random.CostCi)),
        r.SingleModels.Select(Single).ToArray(),
        r.Routers.Select(Router).ToArray(),
        r.AucComparisons.Select(c => new ComparisonRow(c.Router, c.Against, c.Difference, Pair(c.Interval95), c.ShareAhead)).ToArray(),
        new TimingRow(
            r.Timing.LoadSeconds,
            r.Timing.FeaturiseSeconds,
            r.Routers.ToDictionary(x => x.Name, x => x.TrainSeconds),
            r.Routers.ToDictionary(x => x.Name, x => x.RouteSeconds),
            r.Timing.RoutersSeconds,
            r.Timing.TotalSeconds));

    private static SingleRow Single(SingleModelResult s) => new(s.Model, s.Quality, s.CostPer1k);

    private static RouterRow Router(RouterResult x)
    {
        var frontier = x.Frontier.ToHashSet();
        return new RouterRow(
            x.Name, x.Metrics.Auc, x.Metrics.MaxQuality, x.Metrics.SavingsAtBestSingleQuality, x.Metrics.SavingsAt99, x.Metrics.SavingsAt98, x.Metrics.Apgr,
            x.Points.Select(p => new PointRow(p.CostWeight, p.Quality, p.CostPer1k, Pair(p.QualityCi), Pair1k(p.CostCi), frontier.Contains(p))).ToArray());
    }

    private static double[] Pair(Interval i) => [i.Low, i.High];

    private static double[] Pair1k(Interval i) => [i.Low * 1000, i.High * 1000];

    private sealed record Document(
        string Data,
        int TrainPrompts,
        int TestPrompts,
        int ExcludedTestPrompts,
        int Seed,
        SingleRow BestSingle,
        OracleRow Oracle,
        RandomRow Random,
        SingleRow[] SingleModels,
        RouterRow[] Routers,
        ComparisonRow[] AucComparisons,
        TimingRow Timing);

    private sealed record SingleRow(string Model, double Quality, [property: JsonPropertyName("cost_per_1k")] double CostPer1k);

    private sealed record OracleRow(double Quality, [property: JsonPropertyName("cost_per_1k")] double CostPer1k);

    private sealed record RandomRow(double Quality, [property: JsonPropertyName("cost_per_1k")] double CostPer1k, double[] QualityCi, double[] CostCi);

    private sealed record RouterRow(
        string Name,
        double? Auc,
        double MaxQuality,
        double? SavingsAtBestSingleQuality,
        [property: JsonPropertyName("savings_at_99")] double? SavingsAt99,
        [property: JsonPropertyName("savings_at_98")] double? SavingsAt98,
        double? Apgr,
        PointRow[] Points);

    /// <param name="Pareto">Whether the point is on the router's Pareto frontier.</param>
    private sealed record PointRow(double CostWeight, double Quality, [property: JsonPropertyName("cost_per_1k")] double CostPer1k, double[] QualityCi, double[] CostCi, bool Pareto);

    /// <param name="Difference">Router's auc minus Against's; Interval95 is its paired bootstrap interval over test prompts.</param>
    private sealed record ComparisonRow(string Router, string Against, double Difference, [property: JsonPropertyName("interval_95")] double[] Interval95, double ShareAhead);

    private sealed record TimingRow(
        double LoadSeconds,
        double FeaturiseSeconds,
        Dictionary<string, double> TrainSeconds,
        Dictionary<string, double> RouteSeconds,
        double RoutersSeconds,
        double TotalSeconds);
}

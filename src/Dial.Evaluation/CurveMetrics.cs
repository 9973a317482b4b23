namespace Dial.Evaluation;

/// <summary>
/// What a router's quality-cost curve is worth, measured against the single models on the same test prompts.
/// All measures read the curve's upper envelope: at cost c the router reaches the best quality of any of its
/// points that costs at most c (an operator can always pick that preference). Below the cheapest point the
/// router reaches nothing.
/// </summary>
/// <param name="Auc">
/// Mean envelope quality over log10(cost) from the cheapest single model's cost to the most expensive one's,
/// i.e. the area under the envelope divided by the log-cost span, so it lies in [0, 1]. Points cheaper than the
/// span count from the span's start on (they lift the envelope there); points dearer than it do not count. Where
/// the router has no point at or below a cost, the envelope is 0 there. Null when the span is empty or starts at
/// a free model (log of zero).
/// </param>
/// <param name="MaxQuality">The best quality of any point.</param>
/// <param name="SavingsAtBestSingleQuality">
/// 1 - (the lowest cost of a point reaching the best single model's quality) / (that model's cost); negative
/// when the router gets there only at a higher cost, null when it never does.
/// </param>
/// <param name="SavingsAt99">The same at 99% of the best single model's quality.</param>
/// <param name="SavingsAt98">The same at 98%.</param>
/// <param name="Apgr">
/// RouteLLM's average performance gap recovered, with the cheapest single model as the weak one and the best
/// single model as the strong one: PGR(c) = (envelope(c) - q_weak) / (q_strong - q_weak), averaged over cost c
/// uniform from the weak model's cost to the strong one's (RouteLLM averages over the share of calls sent to the
/// strong model, which is the same axis when only those two models are routed between). Where the router has no
/// point at or below c, PGR counts as 0. Null when the best single model is also the cheapest (no gap).
/// </param>
public sealed record CurveMetrics(
    double? Auc,
    double MaxQuality,
    double? SavingsAtBestSingleQuality,
    double? SavingsAt99,
    double? SavingsAt98,
    double? Apgr)
{
    /// <summary>A score this close to a target counts as reaching it: means of the same cells summed in another order differ by rounding.</summary>
    private const double QualityTolerance = 1e-12;

    public static CurveMetrics Of(IReadOnlyList<CurvePoint> points, IReadOnlyList<SingleModelResult> singles)
    {
        if (points.Count == 0) throw new ArgumentException("a curve needs at least one point", nameof(points));
        if (singles.Count == 0) throw new ArgumentException("metrics need at least one single model to compare with", nameof(singles));
        var frontier = ParetoFrontier.Of(points);
        var best = BestSingle(singles);
        var cheapest = singles.OrderBy(s => s.CostPerPrompt).ThenByDescending(s => s.Quality).First();
        var auc = AucOf(frontier, singles);

        double? apgr = null;
        if (best.CostPerPrompt > cheapest.CostPerPrompt && best.Quality > cheapest.Quality)
        {
            var (c0, c1) = (cheapest.CostPerPrompt, best.CostPerPrompt);
            var meanQuality = EnvelopeIntegral(frontier, c => (c - c0) / (c1 - c0), 0, 1, floor: cheapest.Quality);
            apgr = (meanQuality - cheapest.Quality) / (best.Quality - cheapest.Quality);
        }

        return new CurveMetrics(
            auc,
            points.Max(p => p.Quality),
            Savings(frontier, best.Quality, best.CostPerPrompt),
            Savings(frontier, 0.99 * best.Quality, best.CostPerPrompt),
            Savings(frontier, 0.98 * best.Quality, best.CostPerPrompt),
            apgr);
    }

    /// <summary><see cref="Auc"/> of a Pareto frontier (<see cref="ParetoFrontier.Of"/>, cheapest first).</summary>
    public static double? AucOf(IReadOnlyList<CurvePoint> frontier, IReadOnlyList<SingleModelResult> singles)
    {
        var cheapest = singles.Min(s => s.CostPerPrompt);
        var dearest = singles.Max(s => s.CostPerPrompt);
        if (!(cheapest > 0 && dearest > cheapest)) return null;
        var (a, b) = (Math.Log10(cheapest), Math.Log10(dearest));
        return EnvelopeIntegral(frontier, c => c > 0 ? Math.Log10(c) : double.NegativeInfinity, a, b, floor: 0) / (b - a);
    }

    /// <summary>The single model of highest quality (the cheaper one on a tie).</summary>
    public static SingleModelResult BestSingle(IReadOnlyList<SingleModelResult> singles) =>
        singles.OrderByDescending(s => s.Quality).ThenBy(s => s.CostPerPrompt).ThenBy(s => s.Model, StringComparer.Ordinal).First();

    private static double? Savings(IReadOnlyList<CurvePoint> frontier, double target, double referenceCost)
    {
        if (!(referenceCost > 0)) return null;
        var reached = frontier.FirstOrDefault(p => p.Quality >= target - QualityTolerance);
        return reached is null ? null : 1 - reached.CostPerPrompt / referenceCost;
    }

    /// <summary>
    /// ∫ envelope over x in [a, b], where the frontier (cheapest first, quality rising) is placed at
    /// x = <paramref name="axis"/>(cost) and the envelope is <paramref name="floor"/> left of the first point.
    /// </summary>
    private static double EnvelopeIntegral(IReadOnlyList<CurvePoint> frontier, Func<double, double> axis, double a, double b, double floor)
    {
        double area = 0, level = floor, x = a;
        foreach (var p in frontier)
        {
            var at = axis(p.CostPerPrompt);
            if (at >= b) break;
            if (at > x)
            {
                area += level * (at - x);
                x = at;
            }
            level = p.Quality;
        }
        return area + level * (b - x);
    }
}

namespace Dial.Evaluation;

/// <summary>The points no other point beats on both quality and cost.</summary>
public static class ParetoFrontier
{
    /// <summary>
    /// The frontier, cheapest first: each point is strictly better in quality than every cheaper point. Of points
    /// with equal cost only the best is kept; of points with equal quality only the cheapest.
    /// </summary>
    public static IReadOnlyList<CurvePoint> Of(IEnumerable<CurvePoint> points)
    {
        var frontier = new List<CurvePoint>();
        foreach (var p in points.OrderBy(p => p.CostPerPrompt).ThenByDescending(p => p.Quality))
            if (frontier.Count == 0 || p.Quality > frontier[^1].Quality)
                frontier.Add(p);
        return frontier;
    }
}

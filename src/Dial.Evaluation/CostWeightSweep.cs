namespace Dial.Evaluation;

/// <summary>
/// The cost weights a router is swept over: w = λ / (1 + λ) with λ log-spaced over [1e-4, 1e4], plus 0 and 1.
/// λ is the price of one unit of normalised cost in points of quality, so log spacing puts as many weights
/// between 0.001 and 0.01 as between 0.1 and 1, where the decisions between expensive models are; w = 1 is
/// pure cost, where every router that predicts costs picks the cheapest model.
/// </summary>
public static class CostWeightSweep
{
    private const double MinLambda = 1e-4, MaxLambda = 1e4;

    /// <summary>
    /// 300 points, the resolution at which ../shared/design/targets.md measured the reference routers: the sweep samples a
    /// curve whose envelope is the figure, and at 100 points every router's auc was still 0.001–0.008 short of it
    /// (docs/policy.md, "How much the sweep's resolution moves the figures").
    /// </summary>
    public const int DefaultCount = 300;

    public static double[] Weights(int count = DefaultCount)
    {
        if (count < 3) throw new ArgumentOutOfRangeException(nameof(count), count, "a sweep needs at least 3 cost weights");
        var weights = new double[count];
        var inner = count - 2;
        for (var i = 0; i < inner; i++)
        {
            var lambda = Math.Exp(Math.Log(MinLambda) + (Math.Log(MaxLambda) - Math.Log(MinLambda)) * i / Math.Max(1, inner - 1));
            weights[i + 1] = lambda / (1 + lambda);
        }
        weights[count - 1] = 1;
        return weights;
    }
}

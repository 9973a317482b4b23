using Dial.Data;

namespace Dial.Evaluation;

/// <summary>One router's sweep on the test set.</summary>
/// <param name="Points">One point per cost weight of the sweep, in sweep order.</param>
/// <param name="Frontier">The Pareto frontier of <paramref name="Points"/>, cheapest first.</param>
public sealed record RouterResult(
    string Name,
    CurveMetrics Metrics,
    IReadOnlyList<CurvePoint> Points,
    IReadOnlyList<CurvePoint> Frontier,
    double TrainSeconds,
    double RouteSeconds);

/// <summary>Wall-clock time of each stage, in seconds.</summary>
/// <param name="LoadSeconds">Reading the table; measured by whoever read it (0 when the table was given in memory).</param>
/// <param name="FeaturiseSeconds">Fitting the encoder on train prompts and encoding every train and test prompt.</param>
/// <param name="RoutersSeconds">Training every router and routing the test set at every cost weight.</param>
public sealed record EvaluationTiming(double LoadSeconds, double FeaturiseSeconds, double RoutersSeconds)
{
    public double TotalSeconds => LoadSeconds + FeaturiseSeconds + RoutersSeconds;
}

/// <summary>Everything one evaluation measured: the reference rows and every router's curve and metrics.</summary>
/// <param name="ExcludedTestPrompts">Test prompts no model has a result for, left out of every row.</param>
/// <param name="Random">Uniform random choice among each prompt's candidates (seeded), one point.</param>
/// <param name="Oracle">The best recorded outcome per prompt, cheapest among ties.</param>
/// <param name="AucComparisons">The auc of the router that leads it against each other router's, with its paired bootstrap interval.</param>
public sealed record EvaluationResult(
    string Source,
    int TrainPrompts,
    int TestPrompts,
    int ExcludedTestPrompts,
    int Seed,
    IReadOnlyList<SingleModelResult> SingleModels,
    SingleModelResult BestSingle,
    OracleResult Oracle,
    CurvePoint Random,
    IReadOnlyList<RouterResult> Routers,
    IReadOnlyList<AucComparison> AucComparisons,
    EvaluationTiming Timing);

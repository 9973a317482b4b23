using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Dial.Data;
using Dial.Features;
using Dial.Learning;

namespace Dial.Evaluation;

/// <summary>
/// Trains every router on a table's train split and sweeps it over cost weights on the test split, all through
/// <see cref="IRouterTrainer"/> and <see cref="IRouter"/>, so every router, baseline or not, is measured the
/// same way. At each weight every test prompt is routed with <see cref="Preference.FromCostWeight"/> among the
/// models that have a result for it, and the chosen model's recorded score and cost are what the point averages.
/// </summary>
public static class EvaluationHarness
{
    public static EvaluationResult Run(RoutingTable table, IReadOnlyList<IRouterTrainer> trainers, EvaluationOptions options, TextWriter? log = null) =>
        Run(table.Where(Split.Train), table.Where(Split.Test), trainers, options, log);

    /// <summary>Trains on <paramref name="train"/> and sweeps on <paramref name="test"/>, which may come from different tables and hold different models.</summary>
    public static EvaluationResult Run(RoutingTable train, RoutingTable test, IReadOnlyList<IRouterTrainer> trainers, EvaluationOptions options, TextWriter? log = null)
    {
        try
        {
            return RunParallel(train, test, trainers, options, log is null ? null : TextWriter.Synchronized(log));
        }
        catch (AggregateException e) when (e.Flatten().InnerExceptions.Count == 1)
        {
            // A bad table found by one router's training is the user's error: surface it as itself, not wrapped.
            ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw();
            throw;
        }
    }

    private static EvaluationResult RunParallel(RoutingTable train, RoutingTable rawTest, IReadOnlyList<IRouterTrainer> trainers, EvaluationOptions options, TextWriter? log)
    {
        if (train.PromptCount == 0) throw new ArgumentException($"{train.Source}: no prompts in the train split");
        if (rawTest.PromptCount == 0) throw new ArgumentException($"{rawTest.Source}: no prompts in the test split");

        var clock = Stopwatch.StartNew();
        var encoder = HashedTfidfEncoder.Fit(train.Prompts.Select(p => p.Text), options.EncoderDimension);
        var context = new TrainingContext(train, encoder, RewardScaleCalibration.Calibrate(train), options.Seed);
        var test = new TestSet(rawTest);
        if (test.Count == 0) throw new ArgumentException($"{rawTest.Source}: no test prompt has a result for any model");
        _ = TrainingSet.Of(context);
        Parallel.For(0, test.Count, p => test.Prompts[p].Features(encoder));
        var featurise = clock.Elapsed.TotalSeconds;
        log?.WriteLine($"featurise: {featurise:F2} s ({train.PromptCount} train, {test.Count} test prompts)");

        var singles = SingleModels(test.Table);
        var bootstrap = new Bootstrap(test.Count, options.BootstrapSamples, options.Seed);
        var weights = CostWeightSweep.Weights(options.CostWeights);

        clock.Restart();
        var routers = new RouterResult[trainers.Count];
        var choices = new int[trainers.Count][][];
        Parallel.For(0, trainers.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var watch = Stopwatch.StartNew();
            var router = trainers[i].Train(context);
            var trainSeconds = watch.Elapsed.TotalSeconds;
            watch.Restart();
            choices[i] = Choices(router, test, weights);
            var points = PointsOf(weights, choices[i], test.Table, bootstrap);
            var routeSeconds = watch.Elapsed.TotalSeconds;
            routers[i] = new RouterResult(trainers[i].Name, CurveMetrics.Of(points, singles), points, ParetoFrontier.Of(points), trainSeconds, routeSeconds);
            log?.WriteLine($"{trainers[i].Name}: train {trainSeconds:F2} s, route {routeSeconds:F2} s");
        });
        var routersSeconds = clock.Elapsed.TotalSeconds;
        log?.WriteLine($"routers: {routersSeconds:F2} s");
        clock.Restart();
        var comparisons = AucComparison.LeaderAgainstOthers(routers, choices, test.Table, bootstrap);
        log?.WriteLine($"auc comparisons: {clock.Elapsed.TotalSeconds:F2} s");

        var random = new Random(options.Seed);
        var randomChoices = test.Candidates.Select(c => test.Table.ModelIndex(c[random.Next(c.Count)].Name)).ToArray();
        return new EvaluationResult(
            rawTest.Source,
            train.PromptCount,
            test.Count,
            test.Excluded,
            options.Seed,
            singles,
            CurveMetrics.BestSingle(singles),
            OracleResult.Of(test.Table),
            PointOf(double.NaN, randomChoices, test.Table, bootstrap),
            routers,
            comparisons,
            new EvaluationTiming(0, featurise, routersSeconds));
    }

    /// <summary>Each model's mean score and cost over the test prompts it has a result for.</summary>
    public static IReadOnlyList<SingleModelResult> SingleModels(RoutingTable test) =>
        TableStatistics.Of(test).Models.Where(m => m.Results > 0).Select(m => new SingleModelResult(m.Model, m.MeanScore, m.MeanCostUsd)).ToArray();

    /// <summary>
    /// Routes every test prompt at each of <paramref name="weights"/>: one point per weight. A predict-then-optimise
    /// router predicts each prompt once and decides at every weight from those predictions.
    /// </summary>
    public static CurvePoint[] Sweep(IRouter router, TestSet test, double[] weights, Bootstrap bootstrap) =>
        PointsOf(weights, Choices(router, test, weights), test.Table, bootstrap);

    private static CurvePoint[] PointsOf(double[] weights, int[][] choices, RoutingTable test, Bootstrap bootstrap) =>
        weights.Select((w, i) => PointOf(w, choices[i], test, bootstrap)).ToArray();

    /// <summary>The model (index in the test table) the router chose for each test prompt, per weight.</summary>
    private static int[][] Choices(IRouter router, TestSet test, double[] weights)
    {
        var preferences = weights.Select(Preference.FromCostWeight).ToArray();
        var choices = weights.Select(_ => new int[test.Count]).ToArray();
        var predicting = router as IPredictThenOptimiseRouter;
        Parallel.For(0, test.Count, p =>
        {
            var predictions = predicting?.Predict(test.Prompts[p], test.Candidates[p]);
            for (var w = 0; w < weights.Length; w++)
            {
                var request = new RoutingRequest(test.Prompts[p], preferences[w], test.Candidates[p]);
                var decision = predicting is null ? router.Route(request) : predicting.Decide(request, predictions!);
                if (!test.Table.TryGetModelIndex(decision.Model, out var m) || !test.Table.Has(p, m))
                    throw new InvalidOperationException(
                        $"router '{router.Name}' chose '{decision.Model}' for test prompt '{test.Table.Prompts[p].Id}', which was not among its candidates");
                choices[w][p] = m;
            }
        });
        return choices;
    }

    private static CurvePoint PointOf(double costWeight, int[] choices, RoutingTable test, Bootstrap bootstrap)
    {
        var scores = new float[choices.Length];
        var costs = new float[choices.Length];
        double quality = 0, cost = 0;
        for (var p = 0; p < choices.Length; p++)
        {
            var (s, c) = (test.Score(p, choices[p]), test.Cost(p, choices[p]));
            quality += s;
            cost += c;
            scores[p] = (float)s;
            costs[p] = (float)c;
        }
        var n = choices.Length;
        return new CurvePoint(costWeight, quality / n, cost / n, bootstrap.Interval95(scores), bootstrap.Interval95(costs));
    }
}

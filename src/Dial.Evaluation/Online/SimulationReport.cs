using MathNet.Numerics.Distributions;

namespace Dial.Evaluation.Online;

/// <summary>A mean over seeds with its 95% Student-t interval (the interval is the mean alone when there is one seed).</summary>
public sealed record Interval(double Mean, double Low, double High)
{
    public static Interval Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("an interval needs at least one value", nameof(values));
        var mean = values.Average();
        if (values.Count == 1) return new Interval(mean, mean, mean);
        var sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        var half = StudentT.InvCDF(0, 1, values.Count - 1, 0.975) * sd / Math.Sqrt(values.Count);
        return new Interval(mean, mean - half, mean + half);
    }
}

/// <summary>Mean reward per request over the first <see cref="Steps"/> requests.</summary>
/// <param name="VersusReference">Learner minus offline reference: above zero, learning online beat the offline router.</param>
/// <param name="Regret">Oracle minus learner: the reward per request still left on the table.</param>
/// <param name="Recent">Mean reward over the last <see cref="SimulationReport.RecentWindow"/> requests before the checkpoint: where the learner has got to, without its early exploration.</param>
public sealed record CheckpointReward(int Steps, Interval Reward, Interval VersusReference, Interval Regret, Interval Recent);

/// <summary>Oracle and offline reference at one checkpoint, over all requests so far and over the recent ones.</summary>
public sealed record CheckpointBaseline(int Steps, Interval Oracle, Interval Reference, Interval RecentOracle, Interval RecentReference);

/// <summary>
/// How fast a learner moved away from the drifted model. Its share before the drift is over the
/// <see cref="SimulationSettings.ShareWindow"/> requests just before it; the learner has adapted after tau
/// requests when the drifted model's share among requests (start + tau - window, start + tau] first falls to
/// half of that or below. Seeds where the learner gave the model under 10% of requests before the drift have
/// nothing to adapt and are not counted; seeds that never adapt are counted as not adapted.
/// </summary>
public sealed record DriftAdaptation(Interval ShareBefore, Interval ShareAfterLastWindow, int Applicable, int Adapted, Interval? RequestsToAdapt)
{
    private const double MinimumShareToAdapt = 0.1;

    /// <summary>Measures adaptation from each seed's chosen model per request.</summary>
    public static DriftAdaptation Measure(IReadOnlyList<int[]> chosenPerSeed, DriftScenario drift, int steps)
    {
        const int window = SimulationSettings.ShareWindow;
        if (drift.Start < window || drift.Start + window > steps)
            throw new ArgumentException($"drift at request {drift.Start} leaves fewer than {window} requests before or after it in {steps}");
        var before = new List<double>();
        var last = new List<double>();
        var times = new List<double>();
        var applicable = 0;
        foreach (var chosen in chosenPerSeed)
        {
            var shareBefore = SimulationReport.Share(chosen, drift.Drifted, drift.Start - window, drift.Start);
            before.Add(shareBefore);
            last.Add(SimulationReport.Share(chosen, drift.Drifted, steps - window, steps));
            if (shareBefore < MinimumShareToAdapt) continue;
            applicable++;
            for (var tau = window; drift.Start + tau <= steps; tau++)
            {
                if (SimulationReport.Share(chosen, drift.Drifted, drift.Start + tau - window, drift.Start + tau) > shareBefore / 2) continue;
                times.Add(tau);
                break;
            }
        }
        return new DriftAdaptation(Interval.Of(before), Interval.Of(last), applicable, times.Count, times.Count == 0 ? null : Interval.Of(times));
    }
}

/// <param name="RouteMicroseconds">Median time of a routing call, over seeds.</param>
/// <param name="RouteP99Microseconds">99th percentile of a routing call's time, over seeds.</param>
public sealed record LearnerSummary(
    string Learner,
    IReadOnlyList<CheckpointReward> Checkpoints,
    Interval RouteMicroseconds,
    Interval RouteP99Microseconds,
    Interval ObserveMicroseconds,
    Interval ObserveP99Microseconds,
    DriftAdaptation? Drift);

/// <summary>Mean (over seeds) of a per-request series at <see cref="SimulationReport.CurveSteps"/>, with its interval band.</summary>
public sealed record Curve(string Name, double[] Mean, double[] Low, double[] High);

/// <summary>What <c>dial simulate</c> reports.</summary>
public sealed record SimulationReport(
    string Source,
    SimulationSettings Settings,
    string Split,
    int StreamPrompts,
    int Models,
    string? DriftedModel,
    string? WeakModel,
    int? DriftStart,
    IReadOnlyList<CheckpointBaseline> Baselines,
    IReadOnlyList<LearnerSummary> Learners,
    int[] CurveSteps,
    IReadOnlyList<Curve> RegretCurves,
    IReadOnlyList<Curve> DriftedShareCurves)
{
    private const int CurvePoints = 300;

    /// <summary>Requests before a checkpoint that its recent reward averages over.</summary>
    public const int RecentWindow = 500;

    internal static SimulationReport Summarise(SimulationEnvironment environment, SimulationSettings settings, DriftScenario? drift,
        IReadOnlyList<string> names, IReadOnlyList<SeedRun> runs)
    {
        var steps = settings.Steps;
        var checkpoints = SimulationSettings.Checkpoints.Where(c => c < steps).Append(steps).Distinct().ToArray();
        var baselines = checkpoints.Select(n => new CheckpointBaseline(n,
            Interval.Of(runs.Select(r => r.Oracle.Take(n).Average()).ToArray()),
            Interval.Of(runs.Select(r => r.Reference.Take(n).Average()).ToArray()),
            Interval.Of(runs.Select(r => Recent(r.Oracle, n)).ToArray()),
            Interval.Of(runs.Select(r => Recent(r.Reference, n)).ToArray()))).ToArray();

        var learners = names.Select(name =>
        {
            var mine = runs.Select(r => (Run: r, Learner: r.Learners.First(l => l.Learner == name))).ToArray();
            var rewards = checkpoints.Select(n => new CheckpointReward(n,
                Interval.Of(mine.Select(x => x.Learner.Rewards.Take(n).Average()).ToArray()),
                Interval.Of(mine.Select(x => x.Learner.Rewards.Take(n).Average() - x.Run.Reference.Take(n).Average()).ToArray()),
                Interval.Of(mine.Select(x => x.Run.Oracle.Take(n).Average() - x.Learner.Rewards.Take(n).Average()).ToArray()),
                Interval.Of(mine.Select(x => Recent(x.Learner.Rewards, n)).ToArray()))).ToArray();
            return new LearnerSummary(name, rewards,
                Interval.Of(mine.Select(x => x.Learner.Route.MedianMicroseconds).ToArray()),
                Interval.Of(mine.Select(x => x.Learner.Route.P99Microseconds).ToArray()),
                Interval.Of(mine.Select(x => x.Learner.Observe.MedianMicroseconds).ToArray()),
                Interval.Of(mine.Select(x => x.Learner.Observe.P99Microseconds).ToArray()),
                drift is null ? null : DriftAdaptation.Measure(mine.Select(x => x.Learner.Chosen).ToArray(), drift, steps));
        }).ToArray();

        var stride = Math.Max(1, steps / CurvePoints);
        var curveSteps = Enumerable.Range(1, steps).Where(s => s % stride == 0 || s == steps).ToArray();
        var regretCurves = names.Select(name => CurveOf(name, runs.Select(r =>
                CumulativeGap(r.Oracle, r.Learners.First(l => l.Learner == name).Rewards)).ToArray(), curveSteps))
            .Append(CurveOf("offline reference", runs.Select(r => CumulativeGap(r.Oracle, r.Reference)).ToArray(), curveSteps))
            .ToArray();
        var shareCurves = drift is null ? [] : names.Select(name => CurveOf(name, runs.Select(r =>
            TrailingShare(r.Learners.First(l => l.Learner == name).Chosen, drift.Drifted)).ToArray(), curveSteps)).ToArray();

        return new SimulationReport(environment.Source, settings, environment.Split, environment.Prompts.Count, environment.Models.Count,
            drift is null ? null : environment.Models[drift.Drifted].Name,
            drift is null ? null : environment.Models[drift.Weak].Name,
            drift?.Start, baselines, learners, curveSteps, regretCurves, shareCurves);
    }

    private static double Recent(double[] rewards, int steps) => rewards.Take(steps).Skip(Math.Max(0, steps - RecentWindow)).Average();

    internal static double Share(int[] chosen, int model, int from, int to)
    {
        var count = 0;
        for (var t = Math.Max(0, from); t < to; t++)
            if (chosen[t] == model) count++;
        return (double)count / (to - Math.Max(0, from));
    }

    private static double[] CumulativeGap(double[] oracle, double[] rewards)
    {
        var result = new double[rewards.Length];
        double sum = 0;
        for (var t = 0; t < rewards.Length; t++) result[t] = sum += oracle[t] - rewards[t];
        return result;
    }

    private static double[] TrailingShare(int[] chosen, int model)
    {
        var result = new double[chosen.Length];
        for (var t = 0; t < chosen.Length; t++) result[t] = Share(chosen, model, t + 1 - SimulationSettings.ShareWindow, t + 1);
        return result;
    }

    private static Curve CurveOf(string name, double[][] perSeed, int[] steps)
    {
        var intervals = steps.Select(s => Interval.Of(perSeed.Select(series => series[s - 1]).ToArray())).ToArray();
        return new Curve(name, intervals.Select(i => i.Mean).ToArray(), intervals.Select(i => i.Low).ToArray(), intervals.Select(i => i.High).ToArray());
    }
}

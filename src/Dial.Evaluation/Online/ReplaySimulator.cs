using System.Diagnostics;
using Dial.Learning.Online;

namespace Dial.Evaluation.Online;

/// <summary>A learner to replay: its name and how to make a fresh one for a seed.</summary>
public sealed record LearnerSpec(string Name, Func<int, IOnlineLearner> Create);

/// <summary>
/// Replays a routing table as live traffic. Each request offers the prompt's recorded models; the learner
/// chooses, and only the chosen model's recorded outcome is revealed to it, as in production. The learner is
/// handed nothing but the request and that one outcome, so it cannot see the others. Rewards are the request
/// preference's utility of the revealed outcome; the oracle takes the best revealed utility of the request,
/// the offline reference routes the same request without learning.
/// </summary>
public static class ReplaySimulator
{
    public static SimulationReport Run(SimulationEnvironment environment, IReadOnlyList<LearnerSpec> learners, SimulationSettings settings)
    {
        settings.Validate();
        if (learners.Count == 0) throw new ArgumentException("no learners to simulate", nameof(learners));
        var duplicate = learners.GroupBy(l => l.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"learner '{duplicate.Key}' is listed twice", nameof(learners));

        var drift = settings.Drift ? ChooseDrift(environment, settings) : null;
        var runs = new List<SeedRun>(settings.Seeds);
        for (var seed = 1; seed <= settings.Seeds; seed++)
            runs.Add(RunSeed(environment, learners, settings, drift, seed));
        return SimulationReport.Summarise(environment, settings, drift, learners.Select(l => l.Name).ToArray(), runs);
    }

    private static DriftScenario ChooseDrift(SimulationEnvironment environment, SimulationSettings settings)
    {
        var utility = environment.TrainUtility(Preference.FromCostWeight(settings.CostWeight));
        var order = Enumerable.Range(0, utility.Length).Where(m => double.IsFinite(utility[m])).OrderByDescending(m => utility[m]).ToArray();
        if (order.Length < 2) throw new ArgumentException($"{environment.Source}: drift needs at least two models with train results");
        return new DriftScenario(order[0], order[^1], settings.Steps / 2);
    }

    private static SeedRun RunSeed(SimulationEnvironment environment, IReadOnlyList<LearnerSpec> specs, SimulationSettings settings, DriftScenario? drift, int seed)
    {
        var random = new Random(seed);
        var order = RequestOrder(environment.Prompts.Count, settings.Steps, random);
        var preferences = new Preference[settings.Steps];
        for (var t = 0; t < settings.Steps; t++)
            preferences[t] = settings.SamplePreference
                ? Preference.FromCostWeight(random.NextDouble() * SimulationSettings.MaxSampledCostWeight)
                : Preference.FromCostWeight(settings.CostWeight);

        var oracle = new double[settings.Steps];
        var reference = new double[settings.Steps];
        var requests = new RoutingRequest[settings.Steps];
        for (var t = 0; t < settings.Steps; t++)
        {
            var p = order[t];
            requests[t] = new RoutingRequest(environment.Prompts[p], preferences[t], environment.Candidates[p]);
            var active = drift is not null && t >= drift.Start ? drift : null;
            oracle[t] = environment.Candidates[p].Max(c => Reward(environment, p, c, preferences[t], active));
            var choice = environment.Reference.Route(requests[t]).Model;
            reference[t] = Reward(environment, p, environment.Candidates[p].First(c => c.Name == choice), preferences[t], active);
        }

        var results = new List<LearnerRun>(specs.Count);
        foreach (var spec in specs)
        {
            var learner = spec.Create(seed);
            var rewards = new double[settings.Steps];
            var chosen = new int[settings.Steps];
            var routeTicks = new long[settings.Steps];
            var observeTicks = new long[settings.Steps];
            for (var t = 0; t < settings.Steps; t++)
            {
                var p = order[t];
                var start = Stopwatch.GetTimestamp();
                var decision = learner.Route(requests[t]);
                var routed = Stopwatch.GetTimestamp();
                var card = environment.Candidates[p].FirstOrDefault(c => c.Name == decision.Model)
                    ?? throw new InvalidOperationException($"learner '{spec.Name}' chose '{decision.Model}', which was not a candidate");
                var active = drift is not null && t >= drift.Start ? drift : null;
                var outcome = environment.Reveal(p, environment.ModelIndex(card.Name), active);
                var observing = Stopwatch.GetTimestamp();
                learner.Observe(requests[t], card.Name, outcome);
                var observed = Stopwatch.GetTimestamp();
                routeTicks[t] = routed - start;
                observeTicks[t] = observed - observing;
                rewards[t] = Utility(preferences[t], outcome, card, environment.Scale);
                chosen[t] = environment.ModelIndex(card.Name);
            }
            results.Add(new LearnerRun(spec.Name, rewards, chosen, CallTime.Of(routeTicks), CallTime.Of(observeTicks)));
        }
        return new SeedRun(seed, oracle, reference, results);
    }

    /// <summary>Prompt indices for <paramref name="steps"/> requests: whole passes over the stream, each freshly shuffled.</summary>
    public static int[] RequestOrder(int prompts, int steps, Random random)
    {
        var order = new int[steps];
        var pass = Enumerable.Range(0, prompts).ToArray();
        for (var t = 0; t < steps; t += prompts)
        {
            random.Shuffle(pass);
            Array.Copy(pass, 0, order, t, Math.Min(prompts, steps - t));
        }
        return order;
    }

    private static double Reward(SimulationEnvironment environment, int prompt, ModelCard card, Preference preference, DriftScenario? drift) =>
        Utility(preference, environment.Reveal(prompt, environment.ModelIndex(card.Name), drift), card, environment.Scale);

    private static double Utility(Preference preference, Outcome outcome, ModelCard card, RewardScale scale) =>
        preference.Utility(outcome.Score, outcome.CostUsd, outcome.LatencyMs ?? card.MedianLatencyMs ?? 0, scale);
}

/// <summary>One seed's per-request rewards.</summary>
public sealed record SeedRun(int Seed, double[] Oracle, double[] Reference, IReadOnlyList<LearnerRun> Learners);

/// <summary>One learner's run: per-request reward and chosen model index, and how long its calls took.</summary>
public sealed record LearnerRun(string Learner, double[] Rewards, int[] Chosen, CallTime Route, CallTime Observe);

/// <summary>
/// Wall time of one kind of call in microseconds, median and 99th percentile. The first
/// <see cref="WarmUp"/> calls are left out: they include JIT compilation, not the learner's work.
/// </summary>
public sealed record CallTime(double MedianMicroseconds, double P99Microseconds)
{
    public const int WarmUp = 100;

    public static CallTime Of(long[] stopwatchTicks)
    {
        var measured = stopwatchTicks.Skip(stopwatchTicks.Length > 2 * WarmUp ? WarmUp : 0).Select(t => t * 1e6 / Stopwatch.Frequency).Order().ToArray();
        return new CallTime(measured[measured.Length / 2], measured[Math.Min(measured.Length - 1, (int)(0.99 * measured.Length))]);
    }
}

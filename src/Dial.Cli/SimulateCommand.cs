using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Dial.Data;
using Dial.Evaluation.Online;
using Dial.Learning.Online;
using Dial.Learning.Policy;

namespace Dial.Cli;

/// <summary>
/// <c>dial simulate</c>: replays a routing table as live traffic to the online learners, revealing only the
/// chosen model's outcome, and reports reward and regret against the oracle and an offline reference.
/// </summary>
internal static class SimulateCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "A routing table (.jsonl, .jsonl.gz, RouterBench .csv)", Required = true };
        var models = new Option<string?>("--models") { Description = "Model cards file (default: NAME.models.json beside the table)" };
        var learners = new Option<string>("--learners") { Description = $"Comma-separated learners: {string.Join(", ", LearnerKinds)}", DefaultValueFactory = _ => string.Join(",", LearnerKinds) };
        var reference = new Option<string>("--reference") { Description = $"The offline reference: {DialPolicyTrainer.BanditName} (the trained policy, which policy-ft starts from) or {RidgeReference} (per-model ridge on the learners' features, full information)", DefaultValueFactory = _ => DialPolicyTrainer.BanditName };
        var ftRate = new Option<float>("--ft-learning-rate") { Description = $"policy-ft's learning rate (default {PolicyFineTuner.DefaultLearningRate})", DefaultValueFactory = _ => PolicyFineTuner.DefaultLearningRate };
        var ftPrompt = new Option<bool?>("--ft-prompt-weights") { Description = $"Whether policy-ft's steps also move the prompt weights W_x in the prompt's non-zero feature columns (default {PolicyFineTuner.DefaultPromptWeights}); off, an update costs about one routing decision" };
        var steps = new Option<int>("--steps") { Description = "Requests per run (more than the split holds: further passes, each reshuffled)", DefaultValueFactory = _ => 3000 };
        var seeds = new Option<int>("--seeds") { Description = "Independent runs, for 95% intervals", DefaultValueFactory = _ => 5 };
        var split = new Option<string>("--split") { Description = "Split streamed as traffic: test (default; learners and reference never trained on it) or train (for choosing hyper-parameters)", DefaultValueFactory = _ => "test" };
        var costWeight = new Option<double>("--cost-weight") { Description = "The fixed preference's cost weight in [0, 1]", DefaultValueFactory = _ => 0.1 };
        var sample = new Option<bool>("--sample-preference") { Description = $"Draw each request's cost weight from U[0, {SimulationSettings.MaxSampledCostWeight}] instead" };
        var drift = new Option<bool>("--drift") { Description = "Halfway, the best model starts answering like the worst; reports time to adapt" };
        var window = new Option<int>("--window") { Description = "Also run each learner with a sliding window of this many observations per model (forgetting)", DefaultValueFactory = _ => 0 };
        var components = new Option<int>("--components") { Description = "Principal components of the prompt features the learners use", DefaultValueFactory = _ => 16 };
        var ridge = new Option<double>("--ridge") { Description = "Ridge prior lambda", DefaultValueFactory = _ => 1.0 };
        var alpha = new Option<double?>("--alpha") { Description = $"LinUCB's alpha (default {OnlineLearnerFactory.DefaultAlpha})" };
        var tsScale = new Option<double?>("--ts-scale") { Description = $"Thompson sampling's posterior scale (default {OnlineLearnerFactory.DefaultPosteriorScale})" };
        var epsilon = new Option<double?>("--epsilon") { Description = $"Epsilon-greedy's exploration rate (default {OnlineLearnerFactory.DefaultEpsilon})" };
        var warm = new Option<bool>("--warm-start") { Description = "Start each learner from every outcome of the train split (full information), as a deployed offline router that keeps learning" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON instead of text" };
        var output = new Option<string?>("--out") { Description = "Folder for simulate.json and the PNG figures" };

        var command = new Command("simulate", "Replay a routing table as live traffic to the online learners (only the chosen model's outcome is revealed)")
        {
            data, models, learners, reference, steps, seeds, split, costWeight, sample, drift, window, components, ridge, alpha, tsScale, epsilon, ftRate, ftPrompt, warm, json, output,
        };
        command.SetAction(parse =>
        {
            var settings = new SimulationSettings(parse.GetValue(steps), parse.GetValue(seeds), parse.GetValue(costWeight), parse.GetValue(sample), parse.GetValue(drift));
            settings.Validate();
            var kinds = ParseLearners(parse.GetValue(learners)!);
            var windowSize = parse.GetValue(window);
            if (windowSize < 0) throw new ArgumentException($"--window must be 0 (off) or a positive number of observations, got {windowSize}");
            var ridgeValue = parse.GetValue(ridge);
            new BanditOptions(ridgeValue, windowSize).Validate();
            var componentCount = parse.GetValue(components);
            if (componentCount < 1) throw new ArgumentException($"--components must be at least 1, got {componentCount}");
            var exploration = new Dictionary<string, double?>
            {
                [LinUcbRouter.KindName] = parse.GetValue(alpha),
                [LinearThompsonRouter.KindName] = parse.GetValue(tsScale),
                [EpsilonGreedyRouter.KindName] = parse.GetValue(epsilon),
            };
            foreach (var (kind, value) in exploration) OnlineLearnerFactory.CheckExploration(kind, value);

            var table = TableInput.Read(parse.GetValue(data)!, parse.GetValue(models), Console.Error);
            var referenceName = parse.GetValue(reference)!;
            if (referenceName != DialPolicyTrainer.BanditName && referenceName != RidgeReference)
                throw new ArgumentException($"--reference must be '{DialPolicyTrainer.BanditName}' or '{RidgeReference}', got '{referenceName}'");
            var learningRate = parse.GetValue(ftRate);
            if (!(learningRate > 0)) throw new ArgumentException($"--ft-learning-rate must be positive, got {learningRate}");
            var environment = SimulationEnvironment.Build(table, ParseSplit(parse.GetValue(split)!), componentCount,
                referenceName == RidgeReference ? null : new DialPolicyTrainer(Feedback.Bandit));
            var warmStart = parse.GetValue(warm);
            var specs = new List<LearnerSpec>();
            if (kinds.Contains(PolicyFineTuner.KindName))
            {
                // The ensemble is already trained on train (offline); warm start would add nothing it has not seen.
                var policy = environment.Reference as DialEnsemble ?? new DialPolicyTrainer(Feedback.Bandit).TrainEnsemble(environment.Context);
                var epsilonValue = parse.GetValue(epsilon) ?? PolicyFineTuner.DefaultEpsilon;
                var promptWeights = parse.GetValue(ftPrompt) ?? PolicyFineTuner.DefaultPromptWeights;
                specs.Add(new LearnerSpec(PolicyFineTuner.KindName, seed => new PolicyFineTuner(policy, epsilonValue, learningRate, seed, promptWeights)));
            }
            foreach (var w in windowSize > 0 ? new[] { 0, windowSize } : [0])
                foreach (var kind in kinds.Where(k => k != PolicyFineTuner.KindName))
                {
                    var name = OnlineLearnerFactory.Create(kind, environment.Features, environment.Scale, new BanditOptions(ridgeValue, w), exploration[kind]).Name;
                    specs.Add(new LearnerSpec(warmStart ? $"{name}-warm" : name, seed =>
                    {
                        var learner = OnlineLearnerFactory.Create(kind, environment.Features, environment.Scale, new BanditOptions(ridgeValue, w, seed), exploration[kind]);
                        if (warmStart) OfflineRidgeTrainer.ObserveAll(learner, environment.Train);
                        return learner;
                    }));
                }

            var report = ReplaySimulator.Run(environment, specs, settings);
            Console.Error.WriteLine($"offline reference: {environment.Reference.Name}");
            if (parse.GetValue(json)) Console.Out.WriteLine(JsonSerializer.Serialize(report, Json));
            else Print(report, Console.Out);
            if (parse.GetValue(output) is { } folder)
            {
                Directory.CreateDirectory(folder);
                File.WriteAllText(Path.Combine(folder, "simulate.json"), JsonSerializer.Serialize(report, Json));
                foreach (var png in SimulationPlots.Write(report, folder)) Console.Error.WriteLine($"wrote {png}");
            }
            return 0;
        });
        return command;
    }

    private const string RidgeReference = "ridge";

    private static IReadOnlyList<string> LearnerKinds { get; } = [.. OnlineLearnerFactory.Kinds, PolicyFineTuner.KindName];

    internal static IReadOnlyList<string> ParseLearners(string list)
    {
        var kinds = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (kinds.Length == 0) throw new ArgumentException("--learners is empty");
        foreach (var k in kinds)
            if (!LearnerKinds.Contains(k))
                throw new ArgumentException($"--learners: unknown learner '{k}'; known: {string.Join(", ", LearnerKinds)}");
        var repeated = kinds.GroupBy(k => k).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null) throw new ArgumentException($"--learners: '{repeated.Key}' is listed twice");
        return kinds;
    }

    private static Split ParseSplit(string value) => value switch
    {
        "test" => Split.Test,
        "train" => Split.Train,
        _ => throw new ArgumentException($"--split must be 'train' or 'test', got '{value}'"),
    };

    internal static void Print(SimulationReport r, TextWriter o)
    {
        var ci = CultureInfo.InvariantCulture;
        var preference = r.Settings.SamplePreference
            ? $"cost weight ~ U[0, {SimulationSettings.MaxSampledCostWeight}] per request"
            : $"cost weight {r.Settings.CostWeight.ToString(ci)}";
        o.WriteLine($"{r.Source}: {r.Split} split, {r.StreamPrompts} prompts, {r.Models} models; {preference}; {r.Settings.Steps} requests x {r.Settings.Seeds} seeds");
        if (r.DriftedModel is not null) o.WriteLine($"drift: from request {r.DriftStart} on, {r.DriftedModel} answers like {r.WeakModel}");
        o.WriteLine("mean reward per request, mean [95% interval over seeds]; vs-ref = learner - offline reference; regret = oracle - learner;");
        o.WriteLine($"recent = mean reward over the last {SimulationReport.RecentWindow} requests before the checkpoint");
        var width = Math.Max(18, r.Learners.Max(l => l.Learner.Length));
        foreach (var (baseline, i) in r.Baselines.Select((b, i) => (b, i)))
        {
            o.WriteLine();
            o.WriteLine($"after {baseline.Steps} requests");
            o.WriteLine($"  {"".PadRight(width)}  {"reward",-26}  {"vs-ref",-26}  {"regret",-26}  {"recent",-26}");
            o.WriteLine($"  {"oracle".PadRight(width)}  {Format(baseline.Oracle),-26}  {"",-26}  {"",-26}  {Format(baseline.RecentOracle),-26}");
            o.WriteLine($"  {"offline reference".PadRight(width)}  {Format(baseline.Reference),-26}  {"",-26}  {"",-26}  {Format(baseline.RecentReference),-26}");
            foreach (var l in r.Learners)
            {
                var c = l.Checkpoints[i];
                o.WriteLine($"  {l.Learner.PadRight(width)}  {Format(c.Reward),-26}  {Format(c.VersusReference),-26}  {Format(c.Regret),-26}  {Format(c.Recent),-26}");
            }
        }
        o.WriteLine();
        o.WriteLine($"time per call in microseconds, median / 99th percentile (after the first {CallTime.WarmUp} calls; mean over seeds)");
        foreach (var l in r.Learners)
            o.WriteLine(string.Create(ci,
                $"  {l.Learner.PadRight(width)}  route {l.RouteMicroseconds.Mean,6:F1} / {l.RouteP99Microseconds.Mean,6:F1}   observe {l.ObserveMicroseconds.Mean,6:F1} / {l.ObserveP99Microseconds.Mean,6:F1}"));
        if (r.DriftedModel is null) return;
        o.WriteLine();
        o.WriteLine($"time to adapt: requests after the drift until {r.DriftedModel}'s share over the last {SimulationSettings.ShareWindow} requests falls to half its share just before");
        foreach (var l in r.Learners)
        {
            var d = l.Drift!;
            var time = d.RequestsToAdapt is { } t ? Format(t, "F0") : "-";
            o.WriteLine(string.Create(ci,
                $"  {l.Learner.PadRight(width)}  share before {d.ShareBefore.Mean:P0}, in the last {SimulationSettings.ShareWindow} {d.ShareAfterLastWindow.Mean:P0}; adapted in {d.Adapted}/{d.Applicable} seeds; requests {time}"));
        }
    }

    private static string Format(Interval i, string format = "F4") =>
        string.Create(CultureInfo.InvariantCulture, $"{i.Mean.ToString(format, CultureInfo.InvariantCulture)} [{i.Low.ToString(format, CultureInfo.InvariantCulture)}, {i.High.ToString(format, CultureInfo.InvariantCulture)}]");
}

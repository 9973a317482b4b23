using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Dial.Data;
using Dial.Evaluation;
using Dial.Learning;
using Dial.Learning.Policy.Onboarded;

namespace Dial.Cli;

/// <summary>
/// <c>dial eval</c>: trains routers on a table's train split, sweeps each over cost weights on its test split,
/// and reports their Pareto curves, savings and AUC against the single models, random and the oracle.
/// </summary>
internal static class EvalCommand
{
    private const string BundledData = "data/routerbench.jsonl.gz";

    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = $"A routing table (default: the bundled {BundledData}, looked up from the current folder upwards)" };
        var models = new Option<string?>("--models") { Description = "Model cards file (default: NAME.models.json beside the table)" };
        var routers = new Option<string?>("--routers") { Description = $"Comma-separated routers to evaluate (default: all: {string.Join(",", RouterCatalog.Names)})" };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout instead of the table" };
        var output = new Option<string?>("--out") { Description = "Write index.html, pareto.png and results.json to this folder" };
        var seed = new Option<int>("--seed") { Description = "Seeds training, the random row and the bootstrap", DefaultValueFactory = _ => 1 };
        var costWeights = new Option<int>("--cost-weights") { Description = "Cost weights per router sweep", DefaultValueFactory = _ => new EvaluationOptions().CostWeights };
        var trainFile = new Option<string?>("--train") { Description = "Train on this table's train split instead of --data's (needs --test)" };
        var testFile = new Option<string?>("--test") { Description = "Route this table's test split over its models (with --train); its train split is the onboarding quiz pool" };
        var budget = new Option<int?>("--onboard-budget") { Description = $"With --train/--test: onboard models the training table lacks from at most N prompts of the test table's train split; only {OnboardingDialTrainer.RouterName} (the default then) can route them" };
        var validation = new Option<double?>("--validation")
        {
            Description = "Evaluate on this fraction of the train split, held out by --seed, instead of the test split (for choosing settings without touching test)",
        };
        var command = new Command("eval", "Evaluate routers on a routing table's test split: Pareto curves, savings, AUC")
        {
            data, models, routers, json, output, seed, costWeights, trainFile, testFile, budget, validation,
        };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var names = parse.GetValue(routers)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (names is { Length: 0 }) throw new ArgumentException($"--routers names no router; valid routers: {string.Join(", ", RouterCatalog.Names)}");
            var options = new EvaluationOptions(Seed: parse.GetValue(seed), CostWeights: parse.GetValue(costWeights));
            var clock = Stopwatch.StartNew();
            EvaluationResult result;
            double load;
            if (parse.GetValue(trainFile) is { } trainPath)
            {
                if (parse.GetValue(data) is not null) throw new ArgumentException("give either --data FILE or --train FILE --test FILE, not both");
                if (parse.GetValue(models) is not null) throw new ArgumentException("--models applies to --data; with --train/--test each table's cards are read from NAME.models.json beside it");
                if (parse.GetValue(validation) is not null) throw new ArgumentException("--validation applies to --data; with --train/--test the test table's test split is routed");
                var testPath = parse.GetValue(testFile) ?? throw new ArgumentException("--train needs --test FILE: the table whose test split is routed");
                var trainTable = Read(trainPath, null, stderr);
                var testTable = Read(testPath, null, stderr);
                load = clock.Elapsed.TotalSeconds;
                var trainers = TwoTableTrainers(trainTable, testTable, names, parse.GetValue(budget), trainPath, testPath, stderr);
                result = EvaluationHarness.Run(trainTable.Where(Split.Train), testTable.Where(Split.Test), trainers, options, stderr);
            }
            else
            {
                if (parse.GetValue(testFile) is not null) throw new ArgumentException("--test needs --train FILE: the table whose train split the routers learn from");
                if (parse.GetValue(budget) is not null) throw new ArgumentException("--onboard-budget needs --train FILE --test FILE: models are onboarded when the test table has models the training table lacks");
                var table = Read(parse.GetValue(data) ?? FindBundledData(), parse.GetValue(models), stderr);
                load = clock.Elapsed.TotalSeconds;
                if (parse.GetValue(validation) is { } fraction)
                {
                    table = ValidationSplit.Of(table, fraction, parse.GetValue(seed));
                    stderr.WriteLine($"validation: {table.Where(Split.Test).PromptCount} of {table.PromptCount} train prompts held out (seed {parse.GetValue(seed)}); the test split is not used");
                }
                result = EvaluationHarness.Run(table, names is null ? RouterCatalog.All : RouterCatalog.Select(names), options, stderr);
            }
            result = result with { Timing = result.Timing with { LoadSeconds = load } };
            stderr.WriteLine($"total: {result.Timing.TotalSeconds:F2} s");

            if (parse.GetValue(output) is { } folder)
            {
                HtmlReport.Write(result, folder);
                stderr.WriteLine($"report: {Path.Combine(folder, "index.html")}");
            }
            if (parse.GetValue(json)) stdout.WriteLine(EvaluationJson.Serialize(result));
            else PrintTable(result, stdout);
            return 0;
        });
        return command;
    }

    private static RoutingTable Read(string path, string? models, TextWriter stderr)
    {
        var table = TableInput.Read(path, models, stderr);
        stderr.WriteLine($"load: {table.Source} ({table.PromptCount} prompts, {table.ModelCount} models)");
        return table;
    }

    /// <summary>
    /// The routers of a --train/--test evaluation. A model of the test table that training never saw can only be
    /// routed by a router that can describe it: dial-onboard, after a quiz. Fixed baselines know a fixed list of
    /// models, so naming one then is an error rather than a silently shorter candidate list.
    /// </summary>
    private static IReadOnlyList<IRouterTrainer> TwoTableTrainers(
        RoutingTable train, RoutingTable test, string[]? names, int? budget, string trainPath, string testPath, TextWriter stderr)
    {
        var known = train.Models.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var unseen = test.Models.Select(m => m.Name).Where(m => !known.Contains(m)).ToArray();
        if (unseen.Length > 0 && budget is null)
            throw new ArgumentException($"{testPath}: models {string.Join(", ", unseen)} are not in the training table {trainPath}; pass --onboard-budget N to onboard them from at most N prompts of the test table's train split");
        if (budget is < 1) throw new ArgumentException($"--onboard-budget must be at least 1 prompt, got {budget}");
        if (unseen.Length > 0) stderr.WriteLine($"onboarding {string.Join(", ", unseen)} from at most {budget} prompts each of {testPath}'s train split");
        names ??= budget is null ? [.. RouterCatalog.Names] : [OnboardingDialTrainer.RouterName];
        var quizPool = test.Where(Split.Train);
        return names.Distinct(StringComparer.Ordinal).Select(name =>
        {
            if (name == OnboardingDialTrainer.RouterName)
                return budget is { } b ? new OnboardingDialTrainer(quizPool, b) : throw new ArgumentException($"router '{name}' needs --onboard-budget N");
            if (unseen.Length > 0)
                throw new ArgumentException($"router '{name}' cannot route models it was not trained on ({string.Join(", ", unseen)}); only {OnboardingDialTrainer.RouterName} onboards new models");
            return RouterCatalog.Select([name])[0];
        }).ToArray();
    }

    internal static void PrintTable(EvaluationResult r, TextWriter o)
    {
        var ci = CultureInfo.InvariantCulture;
        o.WriteLine($"{r.Source}: {r.TrainPrompts} train, {r.TestPrompts} test prompts" + (r.ExcludedTestPrompts > 0 ? $" ({r.ExcludedTestPrompts} without results left out)" : ""));
        var width = Math.Max(12, r.Routers.Select(x => x.Name.Length).DefaultIfEmpty(0).Max());
        o.WriteLine($"{"router".PadRight(width)}  {"auc",6}  {"max_quality",11}  {"savings_at_best_single_quality",30}  {"savings_at_99",13}  {"savings_at_98",13}  {"apgr",6}");
        foreach (var x in r.Routers)
        {
            var m = x.Metrics;
            o.WriteLine(string.Create(ci,
                $"{x.Name.PadRight(width)}  {F(m.Auc, "-"),6}  {m.MaxQuality,11:F4}  {F(m.SavingsAtBestSingleQuality),30}  {F(m.SavingsAt99),13}  {F(m.SavingsAt98),13}  {F(m.Apgr, "-"),6}"));
        }
        foreach (var c in r.AucComparisons)
            o.WriteLine(string.Create(ci,
                $"auc {c.Router} minus {c.Against}: {c.Difference:+0.0000;-0.0000}, paired bootstrap 95% [{c.Interval95.Low:+0.0000;-0.0000}, {c.Interval95.High:+0.0000;-0.0000}], {c.Router} ahead in {c.ShareAhead * 100:F0}% of resamples"));
        o.WriteLine(string.Create(ci, $"best single: {r.BestSingle.Model} quality {r.BestSingle.Quality:F4} at ${r.BestSingle.CostPer1k:F4} per 1k prompts"));
        o.WriteLine(string.Create(ci, $"oracle:      quality {r.Oracle.Quality:F4} at ${r.Oracle.CostUsdPerPrompt * 1000:F4} per 1k prompts"));
        o.WriteLine(string.Create(ci, $"random:      quality {r.Random.Quality:F4} at ${r.Random.CostPer1k:F4} per 1k prompts"));
    }

    /// <summary>A metric to three decimals; a savings figure the router never reaches reads "never".</summary>
    private static string F(double? v, string missing = "never") => v is { } x ? x.ToString("F3", CultureInfo.InvariantCulture) : missing;

    /// <summary>The bundled table, from the current folder or the nearest parent that has it, so the command works from any folder of a checkout.</summary>
    private static string FindBundledData()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, BundledData);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"no --data given and the bundled {BundledData} was not found in {Directory.GetCurrentDirectory()} or any folder above it");
    }
}

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Dial.Data;
using Dial.Evaluation;
using Dial.Learning;

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
        var validation = new Option<double?>("--validation")
        {
            Description = "Evaluate on this fraction of the train split, held out by --seed, instead of the test split (for choosing settings without touching test)",
        };
        var command = new Command("eval", "Evaluate routers on a routing table's test split: Pareto curves, savings, AUC")
        {
            data, models, routers, json, output, seed, validation,
        };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var trainers = parse.GetValue(routers) is { } list
                ? RouterCatalog.Select(list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                : RouterCatalog.All;
            if (trainers.Count == 0) throw new ArgumentException($"--routers names no router; valid routers: {string.Join(", ", RouterCatalog.Names)}");

            var clock = Stopwatch.StartNew();
            var table = RoutingTableReader.Read(parse.GetValue(data) ?? FindBundledData(), parse.GetValue(models));
            var load = clock.Elapsed.TotalSeconds;
            stderr.WriteLine($"load: {load:F2} s ({table.PromptCount} prompts, {table.ModelCount} models)");
            foreach (var w in table.Warnings) stderr.WriteLine($"warning: {w}");
            if (parse.GetValue(validation) is { } fraction)
            {
                table = ValidationSplit.Of(table, fraction, parse.GetValue(seed));
                stderr.WriteLine($"validation: {table.Where(Split.Test).PromptCount} of {table.PromptCount} train prompts held out (seed {parse.GetValue(seed)}); the test split is not used");
            }

            var result = EvaluationHarness.Run(table, trainers, new EvaluationOptions(Seed: parse.GetValue(seed)), stderr);
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

using System.CommandLine;
using System.Globalization;
using Dial.Data;

namespace Dial.Cli;

/// <summary><c>dial data stats FILE</c>: what a routing table holds, and what the oracle would reach on it.</summary>
internal static class DataCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A routing table: .jsonl, .jsonl.gz, or RouterBench's wide .csv" };
        var models = new Option<string?>("--models") { Description = "Model cards file (default: NAME.models.json beside the table)" };
        var stats = new Command("stats", "Counts, per-model mean score and cost, coverage, and the oracle") { file, models };
        stats.SetAction(parse =>
        {
            var table = RoutingTableReader.Read(parse.GetValue(file)!, parse.GetValue(models));
            foreach (var line in TableWarnings.Full(table)) Console.Error.WriteLine(line);
            Print(TableStatistics.Of(table), Console.Out);
            return 0;
        });
        return new Command("data", "Inspect routing data") { stats };
    }

    internal static void Print(TableStatistics s, TextWriter o)
    {
        var ci = CultureInfo.InvariantCulture;
        o.WriteLine($"{s.Source}");
        o.WriteLine($"prompts: {s.Prompts} (train {s.TrainPrompts}, test {s.TestPrompts}); models: {s.Models.Count}");
        o.WriteLine("tasks: " + string.Join(", ", s.PromptsPerTask.Select(t => $"{t.Key} {t.Value}")));
        var width = Math.Max(5, s.Models.Max(m => m.Model.Length));
        o.WriteLine($"{"model".PadRight(width)}  {"results",7}  {"coverage",8}  {"mean score",10}  {"$ per 1k prompts",16}");
        foreach (var m in s.Models.OrderByDescending(m => m.MeanScore))
            o.WriteLine(string.Create(ci, $"{m.Model.PadRight(width)}  {m.Results,7}  {m.Coverage,8:P1}  {m.MeanScore,10:F4}  {m.MeanCostUsd * 1000,16:F4}"));
        o.WriteLine(string.Create(ci, $"{"oracle".PadRight(width)}  {"",7}  {"",8}  {s.Oracle.Quality,10:F4}  {s.Oracle.CostUsdPerPrompt * 1000,16:F4}"));
    }
}

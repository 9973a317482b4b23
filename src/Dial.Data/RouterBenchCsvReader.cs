using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace Dial.Data;

/// <summary>
/// RouterBench's own wide layout: one row per prompt, with <c>sample_id</c>, <c>prompt</c>, <c>eval_name</c>,
/// and three columns per model: <c>MODEL</c> (score), <c>MODEL|total_cost</c> and <c>MODEL|model_response</c>.
/// A model is any column that has a <c>|total_cost</c> sibling. Empty cells are missing results.
/// The layout has no split, so one is assigned deterministically from a hash of the sample id (70% train):
/// the same file always splits the same way, on any machine.
/// </summary>
internal static class RouterBenchCsvReader
{
    private const string CostSuffix = "|total_cost";
    private const string ResponseSuffix = "|model_response";
    private const double TrainFraction = 0.7;

    public static RoutingTable Read(TextReader text, string source, IReadOnlyList<ModelCard>? cards)
    {
        using var csv = new CsvReader(text, new CsvConfiguration(CultureInfo.InvariantCulture) { BadDataFound = null });
        if (!csv.Read() || !csv.ReadHeader()) throw new DataFormatException(source, 1, null, "empty CSV: no header row");
        var header = csv.HeaderRecord!;
        foreach (var required in new[] { "sample_id", "prompt", "eval_name" })
            if (!header.Contains(required)) throw new DataFormatException(source, 1, required, "required column is missing");
        var models = header.Where(h => h.EndsWith(CostSuffix, StringComparison.Ordinal)).Select(h => h[..^CostSuffix.Length]).ToArray();
        if (models.Length == 0) throw new DataFormatException(source, 1, null, "no model columns: expected columns named MODEL and MODEL|total_cost");
        foreach (var m in models)
            if (!header.Contains(m)) throw new DataFormatException(source, 1, m, $"model '{m}' has a cost column but no score column");
        var hasSplit = header.Contains("split");

        var builder = new RoutingTableBuilder(source, cards);
        while (csv.Read())
        {
            var line = csv.Parser.RawRow;
            var id = csv.GetField("sample_id") ?? "";
            var splitText = hasSplit ? csv.GetField("split") : null;
            var split = splitText is { Length: > 0 }
                ? RoutingTableReader.ParseSplit(splitText) ?? throw new DataFormatException(source, line, "split", $"must be 'train' or 'test', got '{splitText}'")
                : HashSplit(id);
            var p = builder.AddPrompt(id, csv.GetField("eval_name") ?? "", split, csv.GetField("prompt") ?? "", line);
            foreach (var m in models)
            {
                var scoreText = csv.GetField(m);
                var costText = csv.GetField(m + CostSuffix);
                if (string.IsNullOrWhiteSpace(scoreText) && string.IsNullOrWhiteSpace(costText)) continue;
                var score = ParseNumber(scoreText, m, source, line);
                var cost = ParseNumber(costText, m + CostSuffix, source, line);
                var response = header.Contains(m + ResponseSuffix) ? csv.GetField(m + ResponseSuffix) : null;
                builder.AddResult(p, m, score, cost, null, response, line);
            }
        }
        return builder.Build();
    }

    private static double ParseNumber(string? text, string field, string source, int line)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new DataFormatException(source, line, field, "is empty while the model's other cell is not");
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new DataFormatException(source, line, field, $"must be a number, got '{text}'");
    }

    private static Split HashSplit(string id)
    {
        // FNV-1a: stable across runs and platforms, unlike string.GetHashCode.
        var h = 2166136261u;
        foreach (var ch in id) h = (h ^ ch) * 16777619u;
        return h % 1000 < TrainFraction * 1000 ? Split.Train : Split.Test;
    }
}

using System.IO.Compression;
using System.Text.Json;

namespace Dial.Data;

/// <summary>
/// Reads a routing table from disk in either supported layout: Dial's JSON lines (one prompt per line, see
/// data/README.md) or RouterBench's wide CSV. Either may be gzipped. Model cards come from the
/// <c>NAME.models.json</c> file beside the table when there is one.
/// </summary>
public static class RoutingTableReader
{
    public static RoutingTable Read(string path, string? modelsPath = null)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, null, null, "file not found");
        modelsPath ??= DefaultModelsPath(path);
        var cards = modelsPath is not null && File.Exists(modelsPath) ? ModelCardReader.Read(modelsPath) : null;
        using var reader = new StreamReader(OpenMaybeGzip(path));
        return IsCsv(path) ? RouterBenchCsvReader.Read(reader, path, cards) : ReadJsonLines(reader, path, cards);
    }

    /// <summary>The card file that belongs to a table: <c>x.jsonl.gz</c> and <c>x.csv</c> both look for <c>x.models.json</c>.</summary>
    public static string? DefaultModelsPath(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var name = Path.GetFileName(path);
        var stem = name.Split('.')[0];
        return Path.Combine(dir, stem + ".models.json");
    }

    public static RoutingTable ReadJsonLines(TextReader reader, string source, IReadOnlyList<ModelCard>? cards)
    {
        var builder = new RoutingTableBuilder(source, cards);
        var lineNo = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                throw new DataFormatException(source, lineNo, null, $"malformed JSON: {e.Message}");
            }
            using (doc) AddRow(builder, doc.RootElement, source, lineNo);
        }
        return builder.Build();
    }

    private static void AddRow(RoutingTableBuilder builder, JsonElement row, string source, int line)
    {
        if (row.ValueKind != JsonValueKind.Object) throw new DataFormatException(source, line, null, $"expected a JSON object, got {row.ValueKind}");
        var id = RequiredString(row, "id", source, line);
        var text = RequiredString(row, "prompt", source, line);
        var task = row.TryGetProperty("task", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
        var splitText = RequiredString(row, "split", source, line);
        var split = ParseSplit(splitText) ?? throw new DataFormatException(source, line, "split", $"must be 'train' or 'test', got '{splitText}'");
        if (!row.TryGetProperty("results", out var results) || results.ValueKind != JsonValueKind.Object)
            throw new DataFormatException(source, line, "results", "is required and must be an object of model name to result");
        var p = builder.AddPrompt(id, task, split, text, line);
        foreach (var result in results.EnumerateObject())
        {
            var field = $"results.{result.Name}";
            if (result.Value.ValueKind == JsonValueKind.Null) continue; // an explicit null is a missing cell, as the format allows
            if (result.Value.ValueKind != JsonValueKind.Object) throw new DataFormatException(source, line, field, "must be an object");
            var score = RequiredNumber(result.Value, "score", field, source, line);
            var cost = RequiredNumber(result.Value, "cost_usd", field, source, line);
            int? tokens = null;
            if (result.Value.TryGetProperty("output_tokens", out var tok) && tok.ValueKind != JsonValueKind.Null)
            {
                if (tok.ValueKind != JsonValueKind.Number || !tok.TryGetInt32(out var n))
                    throw new DataFormatException(source, line, $"{field}.output_tokens", $"must be an integer, got {tok.GetRawText()}");
                tokens = n;
            }
            string? response = result.Value.TryGetProperty("response", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            builder.AddResult(p, result.Name, score, cost, tokens, response, line);
        }
    }

    internal static Split? ParseSplit(string text) => text switch
    {
        "train" => Split.Train,
        "test" => Split.Test,
        _ => null,
    };

    private static string RequiredString(JsonElement row, string name, string source, int line)
    {
        if (!row.TryGetProperty(name, out var v)) throw new DataFormatException(source, line, name, "is required");
        if (v.ValueKind != JsonValueKind.String) throw new DataFormatException(source, line, name, $"must be a string, got {v.ValueKind}");
        return v.GetString()!;
    }

    private static double RequiredNumber(JsonElement obj, string name, string parent, string source, int line)
    {
        if (!obj.TryGetProperty(name, out var v)) throw new DataFormatException(source, line, $"{parent}.{name}", "is required");
        if (v.ValueKind != JsonValueKind.Number) throw new DataFormatException(source, line, $"{parent}.{name}", $"must be a number, got {v.GetRawText()}");
        return v.GetDouble();
    }

    private static bool IsCsv(string path) =>
        path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".csv.gz", StringComparison.OrdinalIgnoreCase);

    private static Stream OpenMaybeGzip(string path)
    {
        var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        var n = file.Read(magic);
        file.Position = 0;
        return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new GZipStream(file, CompressionMode.Decompress) : file;
    }
}

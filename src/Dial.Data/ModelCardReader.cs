using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dial.Data;

/// <summary>Reads and writes the <c>*.models.json</c> card files: a JSON array of model cards.</summary>
public static class ModelCardReader
{
    public static IReadOnlyList<ModelCard> Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    public static IReadOnlyList<ModelCard> Read(Stream stream, string source)
    {
        List<CardJson>? cards;
        try
        {
            cards = JsonSerializer.Deserialize(stream, CardJsonContext.Default.ListCardJson);
        }
        catch (JsonException e)
        {
            throw new DataFormatException(source, (int?)e.LineNumber + 1, e.Path, $"malformed model cards: {e.Message}");
        }
        if (cards is null) throw new DataFormatException(source, 1, null, "expected a JSON array of model cards, got null");
        return cards.Select((c, i) => ToCard(c, source, $"[{i}].")).ToArray();
    }

    /// <summary>Reads a file holding one card (a JSON object), as used to onboard a model.</summary>
    public static ModelCard ReadOne(string path)
    {
        using var stream = File.OpenRead(path);
        CardJson? card;
        try
        {
            card = JsonSerializer.Deserialize(stream, CardJsonContext.Default.CardJson);
        }
        catch (JsonException e)
        {
            throw new DataFormatException(path, (int?)e.LineNumber + 1, e.Path, $"malformed model card: {e.Message}");
        }
        return ToCard(card ?? throw new DataFormatException(path, 1, null, "expected a model card object, got null"), path, "");
    }

    private static ModelCard ToCard(CardJson c, string source, string prefix)
    {
        if (c.Name is null) throw new DataFormatException(source, null, prefix + "name", "is required");
        if (c.InputUsdPerMTok is not { } input) throw new DataFormatException(source, null, prefix + "input_usd_per_mtok", "is required");
        if (c.OutputUsdPerMTok is not { } output) throw new DataFormatException(source, null, prefix + "output_usd_per_mtok", "is required");
        var card = new ModelCard(c.Name, c.Provider ?? "unknown", input, output, c.ParamsB, c.OpenWeights, c.MedianLatencyMs);
        try
        {
            card.Validate(source);
        }
        catch (ArgumentException e)
        {
            throw new DataFormatException(source, null, prefix.TrimEnd('.'), e.Message);
        }
        return card;
    }

    public static void Write(string path, IEnumerable<ModelCard> cards)
    {
        var json = cards.Select(c => new CardJson
        {
            Name = c.Name, Provider = c.Provider, InputUsdPerMTok = c.InputUsdPerMTok, OutputUsdPerMTok = c.OutputUsdPerMTok,
            ParamsB = c.ParamsB, OpenWeights = c.OpenWeights, MedianLatencyMs = c.MedianLatencyMs,
        }).ToList();
        File.WriteAllText(path, JsonSerializer.Serialize(json, CardJsonContext.Default.ListCardJson));
    }

    internal sealed class CardJson
    {
        [JsonPropertyName("name")] public string? Name { get; set; }
        [JsonPropertyName("provider")] public string? Provider { get; set; }
        [JsonPropertyName("input_usd_per_mtok")] public double? InputUsdPerMTok { get; set; }
        [JsonPropertyName("output_usd_per_mtok")] public double? OutputUsdPerMTok { get; set; }
        [JsonPropertyName("params_b")] public double? ParamsB { get; set; }
        [JsonPropertyName("open_weights")] public bool? OpenWeights { get; set; }
        [JsonPropertyName("median_latency_ms")] public double? MedianLatencyMs { get; set; }
    }
}

[JsonSerializable(typeof(List<ModelCardReader.CardJson>))]
[JsonSerializable(typeof(ModelCardReader.CardJson))]
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class CardJsonContext : JsonSerializerContext;

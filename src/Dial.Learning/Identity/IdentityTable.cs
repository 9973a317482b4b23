using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dial.Learning.Identity;

/// <summary>The identity vectors of a model pool, stored as one JSON file that onboarding updates in place.</summary>
public sealed class IdentityTable
{
    private readonly Dictionary<string, ModelIdentity> _byModel = new(StringComparer.Ordinal);

    public IdentityTable(IEnumerable<ModelIdentity> identities)
    {
        foreach (var id in identities) Set(id);
    }

    public int? Dimension => _byModel.Count == 0 ? null : _byModel.Values.First().Dimension;

    public IReadOnlyCollection<ModelIdentity> All => _byModel.Values;

    public bool TryGet(string model, out ModelIdentity identity) => _byModel.TryGetValue(model, out identity!);

    public ModelIdentity this[string model] =>
        _byModel.TryGetValue(model, out var id) ? id : throw new KeyNotFoundException($"model '{model}' has no identity vector; onboard it first (dial onboard)");

    /// <summary>Adds or replaces a model's identity; all identities in one table share a dimension.</summary>
    public void Set(ModelIdentity identity)
    {
        identity.Validate();
        if (Dimension is { } d && identity.Dimension != d && !(_byModel.Count == 1 && _byModel.ContainsKey(identity.Model)))
            throw new ArgumentException($"identity of '{identity.Model}' has {identity.Dimension} dimensions, the table has {d}");
        _byModel[identity.Model] = identity;
    }

    public void Save(string path)
    {
        var rows = _byModel.Values.OrderBy(i => i.Model, StringComparer.Ordinal).ToList();
        File.WriteAllText(path, JsonSerializer.Serialize(rows, IdentityJsonContext.Default.ListModelIdentity));
    }

    public static IdentityTable Load(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var rows = JsonSerializer.Deserialize(stream, IdentityJsonContext.Default.ListModelIdentity)
                       ?? throw new InvalidDataException($"{path}: expected a JSON array of identities, got null");
            return new IdentityTable(rows);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}:{e.LineNumber + 1}: malformed identity table: {e.Message}");
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}");
        }
    }
}

[JsonSerializable(typeof(List<ModelIdentity>))]
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class IdentityJsonContext : JsonSerializerContext;
